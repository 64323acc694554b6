// openscad-instance.mjs - what the Node renderer and the browser worker share:
// a fresh OpenSCAD instance from a module compiled once, and mkdir -p in its FS.

// `OpenSCAD` is the Emscripten factory (build/openscad/openscad-factory.mjs),
// `compiled` a WebAssembly.Module of build/openscad/openscad.wasm, `onLine`
// receives each line OpenSCAD prints (stdout and stderr).
export function createInstance(OpenSCAD, compiled, onLine) {
  return OpenSCAD({
    noInitialRun: true,
    print: onLine,
    printErr: onLine,
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then((inst) => receive(inst, compiled));
      return {};
    },
  });
}

export function mkdirs(fs, path) {
  let acc = "";
  for (const part of path.split("/").filter(Boolean)) {
    acc += "/" + part;
    try { fs.mkdir(acc); } catch { /* exists */ }
  }
}
