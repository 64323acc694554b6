// asset-cache.js - bytes the page keeps in its Cache Storage across reloads
// (OpenSCAD's wasm, the fonts), so they cross the kernel's wire at most once.
// Without Cache Storage (no secure context) or when it fails, the bytes are
// produced every time: keeping them is an optimisation, never a requirement.
const STORE = "scadlive";

const open = () => (globalThis.caches ? caches.open(STORE).catch(() => null) : Promise.resolve(null));

async function read(store, key) {
  const r = store && await store.match(key).catch(() => null);
  return r ? r.arrayBuffer() : null;
}

const write = (store, key, body, headers = {}) => store?.put(key, new Response(body, { headers })).catch(() => {});

// One kept entry, found as {headers, bytes()} (the headers it was kept
// with; `bytes()` reads its body, once), or null: none kept, or no Cache
// Storage. Finding is quick (~20 ms); reading OpenSCAD's 8 MB takes about as
// long again, so the render worker starts its first runner in between.
export async function keptEntry(key) {
  const r = await (await open())?.match(key).catch(() => null);
  return r ? { headers: r.headers, bytes: () => r.arrayBuffer() } : null;
}

// Keep `bytes` under `key` with `headers` ({name: value}, read back by keptEntry).
export const keep = async (key, bytes, headers = {}) => write(await open(), key, bytes, headers);

// The SHA-256 of `bytes` (an ArrayBuffer or view), as hex: what a kept copy
// is checked against when it is read back.
export const sha256Hex = async (bytes) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

// Drop what is kept under `key` (a kept copy found bad): resolves when it is gone.
export const forget = async (key) => (await open())?.delete(key).catch(() => false);

// A named set of buffers {name: ArrayBuffer} kept under `prefix` (an index
// of the names plus one entry per name), else `produce()`'s; an empty set is
// not kept (asked for again next time).
export async function cachedSet(prefix, produce) {
  const store = await open();
  const index = await read(store, prefix + "index.json");
  if (index) {
    const set = {};
    for (const name of JSON.parse(new TextDecoder().decode(index))) set[name] = await read(store, prefix + name);
    if (Object.values(set).every(Boolean)) return set;
  }
  const set = await produce();
  if (store && Object.keys(set).length) {
    for (const [name, bytes] of Object.entries(set)) await write(store, prefix + name, bytes.slice(0));
    await write(store, prefix + "index.json", JSON.stringify(Object.keys(set)));
  }
  return set;
}
