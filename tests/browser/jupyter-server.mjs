// jupyter-server.mjs - a real JupyterLab or Jupyter Notebook 7 server for the
// browser tests and the notebook-host benchmark (tests/browser/jupyter.test.mjs,
// bench/jupyter.bench.mjs): started with the scadlive package from the
// checkout, stopped with everything it started; and Run All Cells, clicked
// once the notebook's kernel is ready.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync }
  from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep } from "./lib.mjs";
import { SLOW_MODEL } from "./heavy-checks.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WAIT = 120000; // every wait is bounded by this

export const tail = (path, n = 3000) => (existsSync(path) ? readFileSync(path, "utf8").slice(-n) : "(no log)");

// Processes whose working directory is inside `dir` (the server's kernels and
// the bridges they started run in the notebook's directory).
function processesIn(dir) {
  const pids = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try { if (readlinkSync(`/proc/${p}/cwd`).startsWith(dir)) pids.push(Number(p)); } catch { /* gone or not ours */ }
  }
  return pids;
}

// Start `jupyter lab` or `jupyter notebook` on a free port with no token, its
// own runtime/config/data dirs and copies of `notebooks` (paths from the
// repository's root); resolves once the server answers.
export async function startJupyter(app, notebooks) {
  const workdir = mkdtempSync(join(tmpdir(), `scl-jupyter-${app}-`));
  const root = join(workdir, "root");
  const dirs = Object.fromEntries(["runtime", "config", "data", "ipython"].map((d) => [d, join(workdir, d)]));
  for (const d of [root, ...Object.values(dirs)]) mkdirSync(d);
  for (const nb of notebooks) copyFileSync(join(ROOT, nb), join(root, basename(nb)));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = join(workdir, "server.log");
  const args = [app, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`,
    "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", `--ServerApp.root_dir=${root}`];
  if (app === "lab") args.push("--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate");
  const child = spawn(join(ROOT, ".venv/bin/jupyter"), args, {
    cwd: workdir, detached: true, stdio: ["ignore", openSync(log, "w"), openSync(log, "a")],
    env: {
      ...process.env, PYTHONPATH: join(ROOT, "python"), SCADLIVE_SLOW_MODEL: join(ROOT, SLOW_MODEL), JUPYTER_RUNTIME_DIR: dirs.runtime,
      JUPYTER_CONFIG_DIR: dirs.config, JUPYTER_DATA_DIR: dirs.data, IPYTHONDIR: dirs.ipython,
    },
  });
  let exited = null;
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => { exited = signal || code; resolve(); }));
  const server = {
    app, base, root, log,
    // SIGTERM the process group (the server shuts its kernels down), SIGKILL
    // what is left of it after 30 s; then wait for the kernels and bridges
    // (their own sessions) to go, killing any still there after 30 s.
    // Returns the pids that had to be killed that way.
    async stop() {
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      await Promise.race([exit, sleep(30000)]);
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ }
      let left = [];
      for (let t0 = Date.now(); Date.now() - t0 < 30000; await sleep(250)) if (!(left = processesIn(root)).length) break;
      for (const pid of left) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
      return left;
    },
    cleanup() { rmSync(workdir, { recursive: true, force: true }); },
  };
  for (const t0 = Date.now(); ; await sleep(250)) {
    if (exited !== null) throw new Error(`jupyter ${app} exited (${exited}) before answering; its log:\n${tail(log)}`);
    try { if ((await fetch(`${base}/api/status`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() - t0 > WAIT) {
      await server.stop();
      throw new Error(`jupyter ${app} did not answer within ${WAIT / 1000} s; its log:\n${tail(log)}`);
    }
  }
  return server;
}

// Run > Run All Cells, once the notebook has a kernel and it is idle. The
// toolbar's execution indicator says "idle" from the moment it is made, before
// any kernel exists; Run All in a notebook with no kernel yet asks for one in
// a "Select Kernel" dialog, which then covers the page (the JupyterLab
// slow-model test failed so about one run in three). So the kernel's name in
// the toolbar must be there too. A click the front end was not ready for
// (menu item disabled, or no cell queued within 15 s) is tried again, at most
// three times; a dialog in the way fails at once, with its text. `prompt()`
// gives the input prompt of a cell that runs ("[*]" or "[n]" once it started).
// Returns the page's time (performance.now()) of the click that ran them.
export async function runAll(t, page, until, prompt) {
  await until(async () => {
    const name = await page.locator(".jp-NotebookPanel-toolbar .jp-KernelName").first().innerText().catch(() => "");
    return name.trim() && !/no kernel/i.test(name) && page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').count();
  }, "the notebook's kernel to be started and idle");
  const started = async () => /\[(\*|\d+)\]/.test(await prompt());
  let clickedAt = null;
  for (let attempt = 1; ; attempt++) {
    const dialogs = await page.locator(".jp-Dialog").allInnerTexts();
    assert.deepEqual(dialogs, [], `a dialog is in the way of Run All Cells (click ${attempt})`);
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    const runAllItem = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]');
    await runAllItem.waitFor({ timeout: WAIT });
    if (await runAllItem.evaluate((el) => el.classList.contains("lm-mod-disabled"))) await page.keyboard.press("Escape");
    else {
      clickedAt = await page.evaluate(() => performance.now());
      await runAllItem.click();
    }
    try {
      await until(started, "Run All Cells to start", 15000);
      if (attempt > 1) t?.diagnostic(`Run All Cells started on click ${attempt}`);
      return clickedAt;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

