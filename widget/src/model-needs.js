// model-needs.js - what a model's text says it may need, read from its
// source and the files it includes (a cheap scan, erring on "may").

const MAY_USE_FONTS = /text\s*\(/;
const MAY_COLOUR = /\b(color|import)\s*\(/;
const MAY_NAME_FILES = /\b(include|use)\s*<|\b(import|surface|dxf_\w+)\s*\(|\bfile\s*=/;
const decoder = new TextDecoder();

// Fonts (1.6 MB) are sent to the worker and mounted into an instance only
// for models that may call text(): in the source, or possibly in a file it
// includes (those are not scanned: any included file counts).
export const mayUseFonts = (source, files) => MAY_USE_FONTS.test(source) || Object.keys(files).length > 0;

// OpenSCAD writes OFF (which keeps color()'s face colours) far slower than
// binary STL (candleStand: 455 vs 323 ms), so OFF is asked for only when the
// model may have colours: color() or import() in it or in a file it includes.
export const mayHaveColours = (source, files) =>
  MAY_COLOUR.test(source) || Object.values(files).some((b) => MAY_COLOUR.test(decoder.decode(b)));

// Whether a model may name a file (include/use, import(), surface(),
// OpenSCAD's dxf_* functions, a file= argument): one that names none needs
// no files from the kernel, so its first render does not wait for the list.
export const mayNameFiles = (source) => MAY_NAME_FILES.test(source || "");
