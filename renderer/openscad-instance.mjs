// openscad-instance.mjs - what the Node renderer and the browser worker share:
// a fresh OpenSCAD instance from a module compiled once, and mkdir -p in its FS.

// `OpenSCAD` is the Emscripten factory (build/openscad/openscad-factory.mjs),
// `compiled` a WebAssembly.Module of build/openscad/openscad.wasm, `onLine`
// receives each line OpenSCAD prints (stdout and stderr). `onCall`, if given,
// is called before each of OpenSCAD's calls into JavaScript (millions in a
// render, a few ms apart at most: its C++ exception trampolines among them)
// and may throw to stop the run (callMain then throws that error).
export function createInstance(OpenSCAD, compiled, onLine, { onCall = null } = {}) {
  return OpenSCAD({
    noInitialRun: true,
    print: onLine,
    printErr: onLine,
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, onCall ? checkedImports(imports, onCall) : imports).then((inst) => receive(inst, compiled));
      return {};
    },
  });
}

// A copy of `imports` whose functions call `onCall` first. The wrappers
// take the function's own number of parameters (a generic one, `arguments`
// and apply, made CSG.scad's run ~10% slower in Chromium); a function that
// declares none may take any (rest parameters): it gets all.
function checkedImports(imports, onCall) {
  const out = {};
  for (const [space, fns] of Object.entries(imports)) {
    out[space] = {};
    for (const [name, f] of Object.entries(fns)) out[space][name] = typeof f === "function" ? checked(f, onCall) : f;
  }
  return out;
}

function checked(f, onCall) {
  switch (f.length) {
    case 1: return (a) => { onCall(); return f(a); };
    case 2: return (a, b) => { onCall(); return f(a, b); };
    case 3: return (a, b, c) => { onCall(); return f(a, b, c); };
    case 4: return (a, b, c, d) => { onCall(); return f(a, b, c, d); };
    case 5: return (a, b, c, d, e) => { onCall(); return f(a, b, c, d, e); };
    case 6: return (a, b, c, d, e, g) => { onCall(); return f(a, b, c, d, e, g); };
    default: return (...args) => { onCall(); return f(...args); };
  }
}

export function mkdirs(fs, path) {
  let acc = "";
  for (const part of path.split("/").filter(Boolean)) {
    acc += "/" + part;
    try { fs.mkdir(acc); } catch { /* exists */ }
  }
}
