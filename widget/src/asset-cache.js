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

const write = (store, key, body) => store?.put(key, new Response(body)).catch(() => {});

// The bytes kept under `key`, or null (also where there is no Cache Storage);
// the render worker reads OpenSCAD's wasm so, off the page's main thread.
export const keptBytes = async (key) => read(await open(), key);

// The bytes kept under `key`, else `produce()`'s (kept for next time).
export async function cachedBytes(key, produce) {
  const store = await open();
  const kept = await read(store, key);
  if (kept) return kept;
  const bytes = await produce();
  write(store, key, bytes.slice(0));
  return bytes;
}

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
