// server.mjs - serves the repository (build/, widget/) and OpenSCAD's
// examples on 127.0.0.1 for the widget tests and benchmarks.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const TYPES = { ".ttf": "font/ttf", ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".scad": "text/plain" };

export function startServer() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const system = ["/usr/share/openscad/", "/usr/share/fonts/truetype/liberation/"].some((d) => path.startsWith(d));
    const file = system ? path : join(ROOT, path === "/" ? "widget/test-page/index.html" : path);
    if (!file.startsWith(ROOT) && !system) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
