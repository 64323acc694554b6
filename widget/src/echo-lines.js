// echo-lines.js - line numbers for echo(). OpenSCAD prints an ECHO line
// without saying where the echo() is, so for the page's renders each echo(
// call in the model's own text gets a first argument naming its line
// ("@scl-line:N@", line breaks kept); the ECHO lines read from the log get
// their text back and the line as their location. Files the model includes
// are not tagged: their ECHO lines have no location, as in OpenSCAD.
import { pastNonCode } from "./preview.js";

const CALL = /^echo\s*\(/;
const TAG = /^"@scl-line:(\d+)@"(?:, )?/;

// `source` with every echo( call (not in a string or comment) tagged with its line.
export function tagEchoes(source) {
  if (!source.includes("echo")) return source;
  let out = "";
  let line = 1;
  for (let i = 0; i < source.length;) {
    const j = pastNonCode(source, i);
    if (j !== i) {
      for (let k = i; k < j; k++) if (source[k] === "\n") line++;
      out += source.slice(i, j);
      i = j;
      continue;
    }
    const m = source[i] === "e" && !/[A-Za-z0-9_$]/.test(source[i - 1] || " ") && CALL.exec(source.slice(i, i + 64));
    if (m) {
      const rest = source.slice(i + m[0].length);
      const empty = /^\s*\)/.test(rest);
      // the call's own line breaks stay where they were
      const breaks = m[0].replace(/[^\n]/g, "");
      out += `echo(${breaks}"@scl-line:${line}@"${empty ? "" : ", "}`;
      line += breaks.length;
      i += m[0].length;
      continue;
    }
    if (source[i] === "\n") line++;
    out += source[i++];
  }
  return out;
}

// An OpenSCAD log line ({level, text, file, line}, as the core reads it) with
// the tag taken out of an ECHO line's text and its line (in the model `name`) set.
export function untagEcho(message, name) {
  const tag = message.level === "ECHO" && TAG.exec(message.text);
  return tag ? { ...message, text: message.text.slice(tag[0].length), file: name, line: Number(tag[1]) } : message;
}
