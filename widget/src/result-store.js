// result-store.js - full-quality render results kept in the page's Cache
// Storage across page loads, so that a model shown before (same source,
// included files, parameters and OpenSCAD) is drawn again as soon as its
// page or notebook is opened, without waiting for OpenSCAD to start and
// render it (worker.js looks here for each view's first model only).
//
// An entry is one packed result (packed.js) with OpenSCAD's time and log,
// under the result's render key (the C core's, which hashes every input).
// Its body: u32 length of a JSON part {renderMs, log}, that part, padding to
// 4 bytes, the packed result. Its headers: the body's length and SHA-256,
// checked when it is read (a kept entry that differs is dropped, never
// shown), and when it was last kept or shown. Over the byte budget the
// least recently kept or shown entries go first. Without Cache Storage (no
// secure context) nothing is kept: keeping is an optimisation, never a
// requirement, and every failure of the store is a miss.
import { sha256Hex as sha256 } from "./asset-cache.js";

const STORE = "scadlive-results";
const LENGTH = "x-scadlive-length";
const SHA256 = "x-scadlive-sha256";
const USED_AT = "x-scadlive-used-at";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pad = (x) => (x + 3) & ~3;
const REFRESH_AFTER_MS = 1000;


export class ResultStore {
  // `origin`: the page's (Cache Storage keys are URLs of it); `version`:
  // what makes results of another OpenSCAD build or packing never match
  // (a path segment); `budgetBytes`: the most all entries may take.
  constructor({ origin, version, budgetBytes }) {
    this.prefix = `${origin}/scadlive/results/${encodeURIComponent(version)}/`;
    this.budgetBytes = budgetBytes;
    this.store = globalThis.caches ? caches.open(STORE).catch(() => null) : Promise.resolve(null);
    // the URLs kept, listed once as the store opens: a model not kept is
    // then a miss without asking Cache Storage (13 ms in JupyterLab, where
    // the module is ready when the request comes, so it delayed the render).
    // Another page's keeps after this listing are not seen: a miss, rendered.
    this.known = this.store.then((store) => (store ? store.keys() : [])).then((reqs) => new Set(reqs.map((r) => r.url)),
      () => new Set());
    this.trimming = null;
    this.trimAgain = false;
    // bytes of all entries as last counted plus what this page kept since
    // (other pages of the origin keep too: counted at the next trim), or
    // null before the first count: the store is read through only to trim
    this.total = null;
  }

  url(key) {
    return this.prefix + encodeURIComponent(key);
  }

  // The entry kept under `key`: {packed: Uint8Array (4-aligned, of its own
  // buffer), renderMs, log}, or null (none, no store, or a bad entry, which
  // is dropped). A found entry counts as used now.
  async find(key) {
    try {
      if (!(await this.known).has(this.url(key))) return null;
      const store = await this.store;
      const r = store && await store.match(this.url(key));
      if (!r) return null;
      const body = await r.arrayBuffer();
      const bad = Number(r.headers.get(LENGTH)) !== body.byteLength || await sha256(body) !== r.headers.get(SHA256);
      const metaLength = body.byteLength >= 4 ? new DataView(body).getUint32(0, true) : Infinity;
      if (bad || 4 + pad(metaLength) > body.byteLength) {
        this.forget(key);
        return null;
      }
      const meta = JSON.parse(decoder.decode(new Uint8Array(body, 4, metaLength)));
      // used now: last to go (written again a moment later, not while the
      // page draws it; copied: the caller transfers the result's buffer)
      const again = body.slice(0);
      setTimeout(() => this.put(store, key, again, r.headers.get(SHA256)), REFRESH_AFTER_MS);
      return { packed: new Uint8Array(body, 4 + pad(metaLength)), renderMs: Number(meta.renderMs) || 0, log: String(meta.log ?? "") };
    } catch {
      return null;
    }
  }

  // Keep `packed` (a Uint8Array, not used after this returns: it is copied)
  // under `key` with OpenSCAD's time and log. Resolves when it is written,
  // or could not be; never rejects.
  async keep(key, packed, { renderMs = 0, log = "" } = {}) {
    try {
      const meta = encoder.encode(JSON.stringify({ renderMs, log }));
      const body = new Uint8Array(4 + pad(meta.byteLength) + packed.byteLength);
      new DataView(body.buffer).setUint32(0, meta.byteLength, true);
      body.set(meta, 4);
      body.set(packed, 4 + pad(meta.byteLength));
      if (body.byteLength > this.budgetBytes) return;
      const store = await this.store;
      if (!store) return;
      await this.put(store, key, body.buffer, await sha256(body));
      (await this.known).add(this.url(key));
      if (this.total !== null) this.total += body.byteLength; // (a key kept again counts twice until the next trim)
      if (this.total === null || this.total > this.budgetBytes) await this.trim();
    } catch { /* not kept */ }
  }

  put(store, key, body, digest) {
    return store.put(this.url(key), new Response(body, { headers: {
      "content-type": "application/octet-stream", [LENGTH]: String(body.byteLength), [SHA256]: digest,
      [USED_AT]: String(Date.now()) } })).catch(() => {});
  }

  async forget(key) {
    (await this.known).delete(this.url(key));
    const store = await this.store;
    await store?.delete(this.url(key)).catch(() => false);
  }

  // Drop the least recently used entries (of every version: an older
  // OpenSCAD's results are never used again) until all fit the budget; run
  // at the page's first keep and when what it kept since may exceed it.
  // One trim at a time; a keep during one asks for another after it.
  trim() {
    if (this.trimming) {
      this.trimAgain = true;
      return this.trimming;
    }
    this.trimming = (async () => {
      do {
        this.trimAgain = false;
        const store = await this.store;
        if (!store) return;
        const entries = [];
        for (const req of await store.keys()) {
          const r = await store.match(req);
          if (!r) continue;
          const stale = !req.url.startsWith(this.prefix);
          entries.push({ req, bytes: Number(r.headers.get(LENGTH)) || 0, at: stale ? -1 : Number(r.headers.get(USED_AT)) || 0 });
        }
        entries.sort((a, b) => a.at - b.at);
        let total = entries.reduce((s, e) => s + e.bytes, 0);
        for (const e of entries) {
          if (total <= this.budgetBytes && e.at >= 0) break;
          await store.delete(e.req);
          (await this.known).delete(e.req.url);
          total -= e.bytes;
        }
        this.total = total;
      } while (this.trimAgain);
    })().catch(() => {}).finally(() => { this.trimming = null; });
    return this.trimming;
  }
}
