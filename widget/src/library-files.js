// library-files.js - the files models include (their own parts, libraries
// such as MCAD or BOSL2), kept once per page by content. The kernel names a
// model's files as [path, content hash] pairs ({type: "files", files}); the
// page asks only for the contents it does not have yet ({type: "need-blobs",
// hashes} -> {type: "blobs", hashes} with the bytes as buffers), so a large
// library goes over the wire once per page, not once per view or per render.
// Renders then refer to files as {path: hash}; the worker gets each content
// once too (worker-client.js).

const blobs = new Map(); // content hash -> ArrayBuffer
const waiting = new Map(); // content hash -> [resolve] of views waiting for it
// how long a view waits for a kernel that does not answer before it renders
// without the missing files (OpenSCAD then names what it could not open)
const BLOBS_WAIT_MS = 30000;

// Contents that crossed the wire (a test counts them: one per distinct file per page).
globalThis.scadliveFilesReceived = 0;

export const blobOf = (hash) => blobs.get(hash);

// Keep contents the kernel sent; wake the views waiting for them. Hashes
// asked for but not in a reply are settled as missing.
export function receiveBlobs(hashes, buffers, asked = []) {
  hashes.forEach((h, i) => {
    if (!blobs.has(h)) globalThis.scadliveFilesReceived++;
    blobs.set(h, buffers[i]);
  });
  for (const h of new Set([...hashes, ...asked])) {
    for (const resolve of waiting.get(h) || []) resolve();
    waiting.delete(h);
  }
}

// SHA-256 of bytes sent inline by an older kernel ({type: "files", paths} with
// the contents as buffers); a unique key where the page has no WebCrypto.
let inlineCount = 0;
async function hashOf(bytes) {
  if (!globalThis.crypto?.subtle) return `inline-${++inlineCount}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

// A "files" message as {path: hash}, once every content is in the page:
// contents sent along are kept, the missing ones asked for with
// `askKernel(hashes)` (one request for those no other view asked for yet).
export async function filesOf(msg, buffers, askKernel) {
  let entries = msg.files;
  if (!entries) { // the contents inline, named by path only
    entries = await Promise.all((msg.paths || []).map(async (p, i) => [p, await hashOf(buffers[i])]));
    receiveBlobs(entries.map(([, h]) => h), buffers);
  } else if (buffers && buffers.length === entries.length) {
    receiveBlobs(entries.map(([, h]) => h), buffers);
  }
  const missing = entries.map(([, h]) => h).filter((h) => !blobs.has(h));
  const toAsk = missing.filter((h) => !waiting.has(h));
  const arrived = Promise.all(missing.map((h) => new Promise((resolve) => {
    if (!waiting.has(h)) waiting.set(h, []);
    waiting.get(h).push(resolve);
  })));
  if (toAsk.length) askKernel(toAsk);
  if (missing.length) {
    let timer;
    await Promise.race([arrived, new Promise((resolve) => { timer = setTimeout(resolve, BLOBS_WAIT_MS); })]);
    clearTimeout(timer);
    for (const h of toAsk) if (!blobs.has(h)) waiting.delete(h); // a later view asks again
  }
  // a content that never came is left out (OpenSCAD says it cannot open it)
  return Object.fromEntries(entries.filter(([, h]) => blobs.has(h)));
}
