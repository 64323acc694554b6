// packed.js - a render result as one buffer: what the worker's result cache
// keeps (under the memory budget) and transfers to the page, so a cache hit
// needs no parsing: indexed mesh, crease edges (or a 2D shape's outlines),
// the downloads (STL and OFF, or SVG), stats.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Crease edges (dihedral angle over 30 degrees, and open edges) of an
// indexed mesh, as line-segment endpoints; what THREE.EdgesGeometry(geom, 30)
// draws, found here from the shared vertex indices instead of position strings.
export function creaseEdges(positions, indices) {
  const nt = indices.length / 3;
  const normals = new Float32Array(nt * 3);
  for (let t = 0; t < nt; t++) {
    const a = indices[3 * t] * 3, b = indices[3 * t + 1] * 3, c = indices[3 * t + 2] * 3;
    const ux = positions[b] - positions[a], uy = positions[b + 1] - positions[a + 1], uz = positions[b + 2] - positions[a + 2];
    const vx = positions[c] - positions[a], vy = positions[c + 1] - positions[a + 1], vz = positions[c + 2] - positions[a + 2];
    const x = uy * vz - uz * vy, y = uz * vx - ux * vz, z = ux * vy - uy * vx;
    const l = Math.hypot(x, y, z) || 1;
    normals[3 * t] = x / l; normals[3 * t + 1] = y / l; normals[3 * t + 2] = z / l;
  }
  const cos = Math.cos((30 * Math.PI) / 180);
  const nv = positions.length / 3;
  const firstFace = new Map(); // edge (lo * nv + hi) -> first triangle
  const out = [];
  const emit = (p, q) => out.push(positions[3 * p], positions[3 * p + 1], positions[3 * p + 2],
    positions[3 * q], positions[3 * q + 1], positions[3 * q + 2]);
  for (let t = 0; t < nt; t++) {
    for (let e = 0; e < 3; e++) {
      const p = indices[3 * t + e], q = indices[3 * t + (e + 1) % 3];
      const key = p < q ? p * nv + q : q * nv + p;
      const f = firstFace.get(key);
      if (f === undefined) { firstFace.set(key, t); continue; }
      firstFace.delete(key);
      if (normals[3 * f] * normals[3 * t] + normals[3 * f + 1] * normals[3 * t + 1] + normals[3 * f + 2] * normals[3 * t + 2] <= cos)
        emit(p, q);
    }
  }
  for (const [key] of firstFace) emit(Math.floor(key / nv), key % nv); // open edges
  return new Float32Array(out);
}

// One buffer per result: a Uint32 header, then positions, indices, face
// colours, edges, a JSON part (the stats and the downloads' names and
// sizes) and the downloads' bytes, each 4-aligned. A 3D result's downloads
// are {stl, off}; a 2D result's {svg} (its stats say dim: 2).
const HEADER = 6; // magic, nv, nt, colours?, edge floats, JSON bytes
const MAGIC = 0x5c1d0002;
// the layout's version (results kept across page loads are kept under it)
export const PACKED_VERSION = MAGIC & 0xffff;
const pad = (x) => (x + 3) & ~3;
export function packParts({ positions, indices, faceColors = null, edges, stats, downloads }) {
  const names = Object.keys(downloads).filter((k) => downloads[k]);
  const json = encoder.encode(JSON.stringify({ stats, downloads: names.map((k) => [k, downloads[k].byteLength]) }));
  const parts = [positions, indices, faceColors || new Float32Array(0), edges, json, ...names.map((k) => downloads[k])];
  let size = HEADER * 4;
  for (const a of parts) size += pad(a.byteLength);
  const bytes = new Uint8Array(size);
  new Uint32Array(bytes.buffer, 0, HEADER).set([MAGIC, positions.length / 3, indices.length / 3,
    faceColors ? 1 : 0, edges.length, json.byteLength]);
  let at = HEADER * 4;
  for (const a of parts) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad(a.byteLength);
  }
  return bytes;
}

// A 3D mesh with its crease edges and downloads: binary STL (the core's C
// writer) and, when OpenSCAD wrote one (a model with colours), its OFF. A
// model without colours gets its OFF written from the mesh only when the
// download is asked for (writeOff, downloads.js): written for every result,
// it took ~13-30 ms of the render worker for 14,500 triangles and about as
// many bytes as the STL in every cached result.
export function packResult(mesh, off, writeBinStl) {
  return packParts({ ...mesh, edges: creaseEdges(mesh.positions, mesh.indices),
    downloads: { stl: writeBinStl(mesh), off: off || null } });
}

// Views into a packed result (no copies): the mesh, edges, stats, and
// `downloads` {ext: bytes} (also as `stl`/`off`/`svg` for short).
export function unpackResult(bytes) {
  const buf = bytes.buffer;
  const [magic, nv, nt, hasColors, ne, jsonLen] = new Uint32Array(buf, bytes.byteOffset, HEADER);
  if (magic !== MAGIC) throw new Error("corrupt cached result");
  let at = bytes.byteOffset + HEADER * 4;
  const take = (Type, count, bytesPer) => { const v = new Type(buf, at, count); at += pad(count * bytesPer); return v; };
  const positions = take(Float32Array, nv * 3, 4);
  const indices = take(Uint32Array, nt * 3, 4);
  const faceColors = take(Float32Array, hasColors ? nt * 4 : 0, 4);
  const edges = take(Float32Array, ne, 4);
  const { stats, downloads: sizes } = JSON.parse(decoder.decode(take(Uint8Array, jsonLen, 1)));
  const downloads = Object.fromEntries(sizes.map(([ext, len]) => [ext, take(Uint8Array, len, 1)]));
  return { positions, indices, faceColors: hasColors ? faceColors : null, edges, stats, downloads,
    stl: downloads.stl || null, off: downloads.off || null, svg: downloads.svg || null };
}

// OFF text of an indexed mesh (the OFF download when OpenSCAD was asked for
// binary STL, i.e. the model has no colours, written when it is asked for);
// float32 coordinates printed shortest-exact.
export function writeOff(positions, indices) {
  const nv = positions.length / 3, nt = indices.length / 3;
  const lines = new Array(nv + nt + 2);
  lines[0] = "OFF";
  lines[1] = `${nv} ${nt} 0`;
  for (let v = 0; v < nv; v++) lines[2 + v] = `${positions[3 * v]} ${positions[3 * v + 1]} ${positions[3 * v + 2]}`;
  for (let t = 0; t < nt; t++) lines[2 + nv + t] = `3 ${indices[3 * t]} ${indices[3 * t + 1]} ${indices[3 * t + 2]}`;
  return encoder.encode(lines.join("\n") + "\n");
}

