// number-box.js - a slider with a number box beside it for typing an exact
// value. The box takes only values the slider could have (within min..max,
// on a step from min); anything else is refused with a hint under it, and the
// last good value stays.
import { element, hintLine } from "./dom.js";

// Whether `v` lies on the grid min + k * step (to a rounding tolerance).
export function onStep(v, min, step) {
  if (!(step > 0)) return true;
  const k = (v - min) / step;
  return Math.abs(k - Math.round(k)) < 1e-6 * Math.max(1, Math.abs(k));
}

// Why `text` is not a value for a slider of min..max by step, or "" if it is one.
export function refusal(text, { min, max, step }) {
  const v = Number(text);
  const range = `a number from ${min} to ${max}${step > 0 ? ` in steps of ${step}` : ""}`;
  if (String(text).trim() === "" || !Number.isFinite(v)) return `not a number: enter ${range}`;
  if (v < min || v > max) return `${v} is out of range: enter ${range}`;
  if (!onStep(v, min, step)) return `${v} is not on a step: enter ${range}`;
  return "";
}

// {el, range, box, setValue(v), setRange({min, max, step})}; onInput(v) while
// the slider moves, onChange(v) when it is let go or a typed value is taken.
export function sliderWithBox({ min, max, step, value, onInput = () => {}, onChange = () => {} }) {
  const el = element("span", "scl-slider");
  const range = element("input", "", { type: "range" });
  const box = element("input", "scl-number", { type: "number" });
  const hint = hintLine();
  let limits = { min, max, step };
  const setRange = (l) => {
    limits = { ...l };
    for (const input of [range, box]) {
      input.min = l.min;
      input.max = l.max;
      input.step = l.step > 0 ? l.step : "any";
    }
  };
  setRange(limits);
  const showHint = (text) => {
    hint.say(text);
    box.setCustomValidity(text);
    box.classList.toggle("scl-invalid", !!text);
  };
  const setValue = (v) => {
    range.value = v;
    box.value = v;
    showHint("");
  };
  setValue(value);
  range.addEventListener("input", () => { box.value = range.value; showHint(""); onInput(Number(range.value)); });
  range.addEventListener("change", () => onChange(Number(range.value)));
  box.addEventListener("change", () => {
    const why = refusal(box.value, limits);
    showHint(why);
    if (why) return;
    range.value = box.value;
    onChange(Number(box.value));
  });
  // Enter takes the value (change fires), Escape goes back to the last good one
  box.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { box.value = range.value; showHint(""); }
    e.stopPropagation(); // typing a number is not a view shortcut
  });
  el.append(range, box, hint.el);
  return { el, range, box, hint: hint.el, setValue, setRange };
}
