// animation.js - OpenSCAD's animation for models that use $t: play/pause,
// FPS and steps as in OpenSCAD (frame i of N shows $t = i / N), frames
// rendered through the view's normal pipeline and its cache (so a second
// loop is all cache hits), and the frames as PNGs (a zip download here; to
// disk from Python through captures.js).
import { zipSync } from "fflate";
import { sliderWithBox } from "./number-box.js";
import { download } from "./view-dom.js";

// Whether a model's source uses $t (comments and strings are not skipped: erring on "uses").
export const usesTime = (source) => /\$t\b/.test(source || "");

// One frame's $t, as OpenSCAD computes it.
export const frameTime = (i, steps) => i / steps;

// container: where the controls go (the panel); renderFrame(t) renders the
// model with $t = t and resolves with the shown result ({cache}) or null when
// a newer request replaced it; capture() resolves with a PNG Blob of the
// view; fileName(ext) names downloads.
export function attachAnimation({ container, renderFrame, capture, fileName }) {
  const row = document.createElement("div");
  row.className = "scl-anim";
  row.hidden = true;
  const play = document.createElement("button");
  play.className = "scl-anim-play";
  play.textContent = "▶ Play";
  const fps = sliderWithBox({ min: 1, max: 60, step: 1, value: 5 });
  const steps = sliderWithBox({ min: 1, max: 1000, step: 1, value: 20 });
  for (const [s, name] of [[fps, "fps"], [steps, "steps"]]) {
    s.range.remove(); // just the number box: FPS and steps as OpenSCAD's toolbar has them
    s.el.classList.add(`scl-anim-${name}`);
  }
  const label = (text, el) => {
    const l = document.createElement("label");
    l.className = "scl-anim-field";
    l.append(text, el);
    return l;
  };
  const frames = document.createElement("button");
  frames.textContent = "Frames (PNG zip)";
  frames.className = "scl-anim-frames";
  const info = document.createElement("div");
  info.className = "scl-anim-info";
  row.append(play, label("FPS", fps.el), label("Steps", steps.el), frames, info);
  container.prepend(row);

  const state = { playing: false, frame: 0, loop: 0, loopFrames: 0, loopHits: 0, token: 0 };
  const count = () => Math.max(1, Math.round(Number(steps.box.value)) || 1);
  const rate = () => Math.max(1, Number(fps.box.value) || 1);
  const show = (m) => {
    const n = count();
    info.textContent = `$t = ${Number(frameTime(state.frame, n).toFixed(6))}  (frame ${state.frame + 1}/${n}, loop ${state.loop + 1}: ` +
      `${state.loopHits} of ${state.loopFrames} from the cache)`;
    Object.assign(row.dataset, { frame: state.frame, loop: state.loop, loopFrames: state.loopFrames, loopHits: state.loopHits,
      lastCache: m ? m.cache : "" });
  };

  async function run(token) {
    while (state.playing && token === state.token) {
      const t0 = performance.now();
      const m = await renderFrame(frameTime(state.frame, count()));
      if (token !== state.token) return;
      if (m) {
        state.loopFrames++;
        if (m.cache === "hit") state.loopHits++;
      }
      show(m);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / rate() - (performance.now() - t0))));
      if (token !== state.token) return;
      state.frame++;
      if (state.frame >= count()) { // a loop done: its figures stay readable while the next runs
        Object.assign(row.dataset, { doneLoops: state.loop + 1, doneFrames: state.loopFrames, doneHits: state.loopHits });
        state.frame = 0;
        state.loop++;
        state.loopFrames = 0;
        state.loopHits = 0;
      }
    }
  }
  const setPlaying = (on) => {
    state.playing = on;
    state.token++;
    play.textContent = on ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-pressed", String(on));
    if (on) run(state.token);
  };
  play.addEventListener("click", () => setPlaying(!state.playing));

  // Every frame once, each as a PNG of the view: [{name, bytes, t}]; onFrame(i, n) reports progress.
  async function renderFrames(n = count(), onFrame = () => {}) {
    setPlaying(false);
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = frameTime(i, n);
      const m = await renderFrame(t);
      if (!m) throw new Error("the frames were interrupted by a newer render");
      out.push({ name: `${fileName("")}-frame${String(i).padStart(5, "0")}.png`, t,
        bytes: new Uint8Array(await (await capture()).arrayBuffer()) });
      onFrame(i, n);
    }
    return out;
  }
  frames.addEventListener("click", async () => {
    frames.disabled = true;
    try {
      const all = await renderFrames(count(), (i, n) => { info.textContent = `frame ${i + 1}/${n} captured`; });
      const zip = zipSync(Object.fromEntries(all.map((f) => [f.name, [f.bytes, { level: 0 }]])));
      download(zip, fileName("-frames.zip"), "application/zip");
      info.textContent = `${all.length} frames saved`;
    } catch (err) {
      info.textContent = err.message;
    } finally {
      frames.disabled = false;
    }
  });

  return {
    row,
    state,
    // the model changed: show the controls only when it uses $t
    setSource(source) {
      row.hidden = !usesTime(source);
      if (row.hidden) setPlaying(false);
    },
    // {steps, fps, playing} from Python's viewer.animate()
    configure({ steps: n, fps: f, playing }) {
      if (n !== undefined) steps.setValue(n);
      if (f !== undefined) fps.setValue(f);
      if (playing !== undefined) setPlaying(!!playing);
    },
    setPlaying,
    renderFrames,
    dispose() { setPlaying(false); row.remove(); },
  };
}
