// packed.js - a render result as one buffer: what the worker's result cache
// keeps (under the memory budget) and transfers to the page, so a cache hit
// needs no parsing: indexed mesh, crease edges, STL and OFF downloads, stats.
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
// colours, edges, the binary STL, the OFF and the stats as JSON, 4-aligned.
const HEADER = 9; // magic, nv, nt, colours?, edge floats, stl bytes, off bytes, stats bytes, reserved
export function packResult(mesh, off, writeBinStl) {
  const edges = creaseEdges(mesh.positions, mesh.indices);
  const stl = writeBinStl(mesh); // binary STL for the download (the core's C writer)
  const stats = encoder.encode(JSON.stringify(mesh.stats));
  const pad = (x) => (x + 3) & ~3;
  const parts = [mesh.positions, mesh.indices, mesh.faceColors || new Float32Array(0), edges, stl, off || new Uint8Array(0), stats];
  let size = HEADER * 4;
  for (const a of parts) size += pad(a.byteLength);
  const bytes = new Uint8Array(size);
  new Uint32Array(bytes.buffer, 0, HEADER).set([0x5c1d0001, mesh.positions.length / 3, mesh.indices.length / 3,
    mesh.faceColors ? 1 : 0, edges.length, stl.byteLength, off ? off.byteLength : 0, stats.byteLength, 0]);
  let at = HEADER * 4;
  for (const a of parts) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad(a.byteLength);
  }
  return bytes;
}

// Views into a packed result (no copies).
export function unpackResult(bytes) {
  const buf = bytes.buffer;
  const [magic, nv, nt, hasColors, ne, stlLen, offLen, statsLen] = new Uint32Array(buf, bytes.byteOffset, HEADER);
  if (magic !== 0x5c1d0001) throw new Error("corrupt cached result");
  let at = bytes.byteOffset + HEADER * 4;
  const take = (Type, count, bytesPer) => { const v = new Type(buf, at, count); at += (count * bytesPer + 3) & ~3; return v; };
  const positions = take(Float32Array, nv * 3, 4);
  const indices = take(Uint32Array, nt * 3, 4);
  const faceColors = take(Float32Array, hasColors ? nt * 4 : 0, 4);
  const edges = take(Float32Array, ne, 4);
  const stl = take(Uint8Array, stlLen, 1);
  const off = take(Uint8Array, offLen, 1);
  const stats = JSON.parse(decoder.decode(take(Uint8Array, statsLen, 1)));
  return { positions, indices, faceColors: hasColors ? faceColors : null, edges, stl, off: offLen ? off : null, stats };
}

// OFF text of an indexed mesh (for the OFF download when OpenSCAD was asked
// for binary STL, i.e. the model has no colours); float32 coordinates printed
// shortest-exact.
export function writeOff(positions, indices) {
  const nv = positions.length / 3, nt = indices.length / 3;
  const lines = new Array(nv + nt + 2);
  lines[0] = "OFF";
  lines[1] = `${nv} ${nt} 0`;
  for (let v = 0; v < nv; v++) lines[2 + v] = `${positions[3 * v]} ${positions[3 * v + 1]} ${positions[3 * v + 2]}`;
  for (let t = 0; t < nt; t++) lines[2 + nv + t] = `3 ${indices[3 * t]} ${indices[3 * t + 1]} ${indices[3 * t + 2]}`;
  return encoder.encode(lines.join("\n") + "\n");
}

