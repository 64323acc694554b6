// runner-pool.js - the render worker's OpenSCAD runners (runner.js), each a
// worker of its own, so that a stale render can be abandoned at once.
//
// At most LANES runs go at a time (one per core of these machines: two slow
// viewers render side by side, a light one beside a slow one), and SPARES
// idle runners with a ready OpenSCAD instance are kept beside them: when a
// run is abandoned (its worker terminated), a spare takes the next run at
// once and a new spare is made from the WebAssembly.Module compiled once (no
// compile; 100-700 ms on the loaded 2-core machine, worker start and
// instance).
//
// An abandoned run's runner is kept when it can stop the run itself (its
// checks work, runner.js): the run stops at its next check, the runner makes
// a new instance and is ready again, warmed up. Terminated and replaced by a
// new worker, as before, each abandon cost a fresh JavaScript engine whose
// OpenSCAD glue V8 optimized again on the next run (~100 ms of background
// compile per re-render on 2 cores, beside the runs; trace 2026-12-02). A
// runner that has not stopped within STOP_WAIT_MS is terminated.
//
// Spares are made only while a core is free of OpenSCAD runs: a runner's
// start takes a core for 100-150 ms, and made while every core runs
// OpenSCAD (a slow view's render beside a light one's) it slowed the light
// render. They are made once a run ends. Their instances' heaps are held
// against the page's memory budget (`spareMemory`) and a spare is kept only
// where its heap fits without evicting a cached result; a run whose heap
// does not fit drops the spares first (`dropSpares`).
const RUNNER_SOURCE = __SCADLIVE_RUNNER_SOURCE__; // inlined by build.mjs
const LANES = Math.max(2, Math.min(4, (globalThis.navigator?.hardwareConcurrency || 2)));
const SPARES = 2;
const SPARE_DELAY_MS = 400;
const STOP_WAIT_MS = 1500;

export class Abandoned extends Error {
  constructor() { super("render abandoned"); this.name = "Abandoned"; }
}

export class RunnerPool {
  // `module`: (a promise of) OpenSCAD's compiled WebAssembly.Module; `fonts`: {name: ArrayBuffer}
  // `onRunnerReady(ms, checks)`: a new runner's first OpenSCAD instance is ready, `ms` after it was
  // made; `checks`: whether it can stop a run it is abandoned in (runner.js)
  // `spareMemory`: an idle runner's instance against the page's budget: {fits(bytes), hold(bytes),
  // release(bytes)}, where fits and hold say true (fits; held), false (does not fit) or undefined
  // (no budget yet: `holdSpares()` once there is)
  // `onRunnerMade({spare, busy, lanes, runners})`: a runner was made, as a spare or for a run waiting
  // for one; `onRunnerGone({runners})`: one was terminated (`runners`: how many the pool has now);
  // `onRunnerKept(ms)`: a runner whose run was abandoned stopped it and is ready again, `ms` after the abandon
  constructor(module, fonts, { lanes = LANES, onRunnerReady = null, onRunnerMade = null, onRunnerGone = null,
    onRunnerKept = null, spareMemory = null } = {}) {
    this.onRunnerReady = onRunnerReady;
    this.onRunnerKept = onRunnerKept;
    this.onRunnerMade = onRunnerMade;
    this.onRunnerGone = onRunnerGone;
    this.spareMemory = spareMemory;
    this.instanceBytes = 0; // the heap of a fresh instance, once one was made
    this.module = Promise.resolve(module);
    // no module will come (a compile failure, reported to each render by the
    // render worker): the runners waiting for it go
    this.module.catch(() => { for (const r of [...this.runners]) this.remove(r); });
    this.fonts = fonts;
    this.lanes = lanes;
    this.url = URL.createObjectURL(new Blob([RUNNER_SOURCE], { type: "text/javascript" }));
    this.probe = URL.createObjectURL(new Blob()); // never revoked: a runner reads it to know its checks work (runner.js)
    this.runners = []; // {worker, job: {id, resolve, reject} | null, heapBytes, ready}
    this.waiting = []; // runs waiting for a lane: {payload, resolve, reject}
    this.abandoned = 0;
    this.runs = 0;
    this.spareTimer = null;
    this.spawn(true);
  }

  spawn(spare) {
    const r = { worker: new Worker(this.url, { type: "module" }), job: null, heapBytes: 0, held: 0, ready: false,
      born: performance.now(), runs: 0, checks: false, stopping: null };
    r.worker.onmessage = (e) => this.onMessage(r, e.data);
    r.worker.onerror = (e) => this.fail(r, new Error(`OpenSCAD runner failed: ${e.message || "worker error"}`));
    this.module.then((module) => r.worker.postMessage({ type: "init", module, fonts: this.fonts, probe: this.probe }), () => {});
    this.runners.push(r);
    this.onRunnerMade?.({ spare, busy: this.busy(), lanes: this.lanes, runners: this.runners.length });
    return r;
  }

  setFonts(fonts) {
    this.fonts = fonts;
    for (const r of this.runners) r.worker.postMessage({ type: "fonts", fonts });
  }

  busy() { return this.runners.filter((r) => r.job).length; }

  // Run `payload` ({files, useFonts, name, scad, args}) on a runner; resolves
  // with the runner's {exit, output, log, renderMs, heapBytes}; `onStart(heapBytes)`
  // is called when a runner takes it (it may throw to refuse, e.g. the memory
  // budget); rejects with Abandoned if `abandon` is called first.
  run(payload, onStart) {
    let job;
    const promise = new Promise((resolve, reject) => { job = { payload, onStart, resolve, reject, runner: null }; });
    this.waiting.push(job);
    this.dispatch();
    return { promise, abandon: () => this.abandon(job) };
  }

  dispatch() {
    while (this.waiting.length && this.busy() < this.lanes) {
      // a ready runner, else one still making its instance (not one stopping an abandoned run)
      let r = this.runners.find((x) => !x.job && x.ready) || this.runners.find((x) => !x.job && !x.stopping);
      if (!r) r = this.spawn(false);
      const job = this.waiting.shift();
      job.runner = r;
      r.job = job;
      if (r.ready) this.begin(r, job); // else once its OpenSCAD instance is made
    }
    this.keepSpare();
  }

  begin(r, job) {
    this.unhold(r); // its instance is now the run's, which onStart accounts
    try {
      job.onStart?.(r.heapBytes);
    } catch (err) {
      r.job = null;
      job.reject(err);
      this.holdOrDrop(r);
      this.dispatch();
      return;
    }
    r.ready = false;
    job.started = true;
    job.id = ++this.runs;
    // revoked when the run is abandoned: the runner's OpenSCAD checks it and stops (runner.js)
    job.alive = URL.createObjectURL(new Blob());
    r.worker.postMessage({ type: "run", id: job.id, ...job.payload, alive: job.alive });
  }

  // SPARES idle runners beside the busy ones (one takes the place of an
  // abandoned run, one a light view's run while a slow one renders), made
  // only while a core is free of runs and their heaps fit the budget; the
  // second a little later (SPARE_DELAY_MS), unless no idle runner is left.
  keepSpare() {
    const idle = () => this.runners.filter((x) => !x.job).length;
    const may = () => this.runners.length < this.lanes + SPARES && this.busy() < this.lanes && this.spareFits();
    if (!idle() && may()) this.spawn(true);
    if (idle() < SPARES && may() && !this.spareTimer) {
      this.spareTimer = setTimeout(() => {
        this.spareTimer = null;
        while (idle() < SPARES && may()) this.spawn(true);
      }, SPARE_DELAY_MS);
    }
  }

  // Whether one more idle instance would fit the page's budget, beside those
  // of idle runners still making theirs (the size of an instance is known
  // once one was made).
  spareFits() {
    if (!this.spareMemory) return true;
    // none until one instance was made: a spare made blind could pass the
    // budget (it was dropped once ready, but two instances lived at once)
    if (!this.instanceBytes) return false;
    const coming = this.runners.filter((x) => !x.job && !x.held).length;
    return this.spareMemory.fits(this.instanceBytes * (1 + coming)) !== false;
  }

  // An idle runner's ready instance is held against the budget, or the
  // runner goes when it does not fit.
  holdOrDrop(r) {
    if (r.job || !r.ready || r.held || !this.spareMemory) return;
    const held = this.spareMemory.hold(r.heapBytes);
    if (held === true) r.held = r.heapBytes;
    else if (held === false) this.remove(r);
  }

  unhold(r) {
    if (r.held) this.spareMemory.release(r.held);
    r.held = 0;
  }

  // The budget became known: hold the instances of the runners idle already.
  holdSpares() {
    for (const r of [...this.runners]) this.holdOrDrop(r);
  }

  // Drop the idle runners whose heaps are held (freed for a run); returns the bytes freed.
  dropSpares() {
    let freed = 0;
    for (const r of this.runners.filter((x) => !x.job && x.held)) {
      freed += r.held;
      this.remove(r);
    }
    return freed;
  }

  onMessage(r, m) {
    if (m.type === "ready") {
      if (!r.runs++) this.onRunnerReady?.(performance.now() - r.born, m.checks);
      if (r.stopping) { // an abandoned run stopped (or had ended): the runner stays
        clearTimeout(r.stopping);
        r.stopping = null;
        this.onRunnerKept?.(performance.now() - r.stoppedAt);
      }
      r.checks = !!m.checks;
      r.ready = true;
      r.heapBytes = m.heapBytes;
      const first = !this.instanceBytes;
      this.instanceBytes ||= m.heapBytes;
      if (r.job && !r.job.started) this.begin(r, r.job);
      else this.holdOrDrop(r);
      if (first) this.keepSpare(); // the spares that waited for the instance's size
    } else if (m.type === "failed") {
      this.fail(r, new Error(m.message));
    } else if (m.type === "done" && r.job && r.job.id === m.id) {
      const job = r.job;
      r.job = null;
      URL.revokeObjectURL(job.alive);
      job.resolve(m);
      this.dispatch();
    }
  }

  // Abandon `r`'s run without terminating it: its `alive` URL is revoked, so
  // the run throws at its next check, and the runner makes a new instance
  // ("ready" again). Until then it is neither busy nor ready.
  stop(r) {
    URL.revokeObjectURL(r.job.alive);
    r.job = null;
    r.ready = false;
    r.stoppedAt = performance.now();
    r.stopping = setTimeout(() => {
      this.remove(r);
      this.dispatch();
    }, STOP_WAIT_MS);
  }

  fail(r, err) {
    this.remove(r);
    r.job?.reject(err);
    this.dispatch();
  }

  remove(r) {
    clearTimeout(r.stopping);
    this.unhold(r);
    if (r.job?.alive) URL.revokeObjectURL(r.job.alive); // a running OpenSCAD stops within ~100-200 ms (runner.js)
    r.worker.terminate();
    this.runners = this.runners.filter((x) => x !== r);
    this.onRunnerGone?.({ runners: this.runners.length });
  }

  abandon(job) {
    const i = this.waiting.indexOf(job);
    if (i >= 0) this.waiting.splice(i, 1);
    else if (job.runner && job.runner.job === job) {
      this.abandoned++;
      if (job.runner.checks) this.stop(job.runner);
      else this.remove(job.runner); // OpenSCAD cannot be interrupted: its worker goes
    } else return; // done already
    job.reject(new Abandoned());
    this.dispatch();
  }
}
