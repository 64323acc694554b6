// log.js - OpenSCAD's log lines as the page shows them, and the one
// formatter of the page's error banner. Lines come parsed, as
// [{level, text, file, line}] with no location in the text: from the C core
// in the worker (core.logLines, page renders) or in the kernel's reply
// ("messages", kernel renders); errors likewise as {message, file, line}
// (core.classifyFailure, or the kernel's error trait).

// The levels a user reads in the console (TRACE lines follow their ERROR).
export const CONSOLE_LEVELS = new Set(["ECHO", "WARNING", "DEPRECATED", "ERROR", "TRACE", "FONT-WARNING",
  "EXPORT-WARNING", "EXPORT-ERROR"]);

// A location as the page prints it: "model.scad, line 3", "line 3", or "".
export const where = ({ file, line }) => (line ? (file ? `${file}, line ${line}` : `line ${line}`) : file || "");

// The error banner's text of an error {message, line, file}: the location once, first.
export function formatError(error) {
  const text = String(error.message || "error");
  const at = where({ file: error.file, line: error.line });
  return at ? `${at}: ${text}` : text;
}
