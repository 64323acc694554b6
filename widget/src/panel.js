// panel.js - the customizer panel, generated from OpenSCAD's parameter schema:
// sliders, spin boxes, dropdowns, checkboxes, text and vector fields, in tabs
// per group, captions as descriptions, and a reset button. Sliders have a
// number box beside them (number-box.js).
// onChange(name, value, kind): kind is "drag" while a slider moves, "release"
// when it is let go, "change" for other edits. showValues() moves the inputs
// to values set elsewhere (from Python) without rebuilding the panel.
import { sliderWithBox } from "./number-box.js";

export function buildPanel(el, schema, values, onChange, onReset) {
  el.replaceChildren();
  const params = (schema && schema.parameters) || [];
  if (!params.length) return;
  const groups = [];
  for (const p of params) {
    const g = p.group ?? "";
    let entry = groups.find((x) => x.name === g);
    if (!entry) groups.push((entry = { name: g, params: [] }));
    entry.params.push(p);
  }
  const tabs = document.createElement("div");
  tabs.className = "scl-tabs";
  const pages = document.createElement("div");
  groups.forEach((g, i) => {
    const tab = document.createElement("button");
    tab.textContent = g.name || "Parameters";
    tab.className = "scl-tab" + (i === 0 ? " active" : "");
    const page = document.createElement("div");
    page.className = "scl-page";
    page.hidden = i !== 0;
    tab.onclick = () => {
      for (const t of tabs.children) t.classList.remove("active");
      for (const pg of pages.children) pg.hidden = true;
      tab.classList.add("active");
      page.hidden = false;
    };
    tabs.appendChild(tab);
    for (const p of g.params) page.appendChild(field(p, values[p.name] ?? p.initial, onChange));
    pages.appendChild(page);
  });
  const reset = document.createElement("button");
  reset.textContent = "Reset to defaults";
  reset.className = "scl-reset";
  reset.onclick = onReset;
  el.append(tabs, pages, reset);
}

// Show `values` in the panel's inputs (fields not named keep theirs).
export function showValues(el, values) {
  for (const row of el.querySelectorAll(".scl-field"))
    if (values[row.dataset.name] !== undefined) row.setValue(values[row.dataset.name]);
}

function field(p, value, onChange) {
  const row = document.createElement("label");
  row.className = "scl-field";
  row.dataset.name = p.name;
  const title = document.createElement("div");
  title.className = "scl-name";
  title.textContent = p.name;
  row.appendChild(title);
  if (p.caption) {
    const d = document.createElement("div");
    d.className = "scl-caption";
    d.textContent = p.caption;
    row.appendChild(d);
  }
  let input;
  if (p.options) {
    input = document.createElement("select");
    for (const o of p.options) {
      const opt = document.createElement("option");
      opt.value = JSON.stringify(o.value);
      opt.textContent = o.name;
      if (o.value === value) opt.selected = true;
      input.appendChild(opt);
    }
    input.onchange = () => onChange(p.name, JSON.parse(input.value), "change");
    row.setValue = (v) => { input.value = JSON.stringify(v); };
  } else if (p.type === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = !!value;
    input.onchange = () => onChange(p.name, input.checked, "change");
    row.setValue = (v) => { input.checked = !!v; };
  } else if (p.type === "string") {
    input = document.createElement("input");
    input.type = "text";
    input.value = value;
    if (p.maxLength) input.maxLength = p.maxLength;
    input.onchange = () => onChange(p.name, input.value, "change");
    row.setValue = (v) => { input.value = v; };
  } else if (Array.isArray(p.initial)) {
    input = document.createElement("span");
    const parts = p.initial.map((_, i) => {
      const n = document.createElement("input");
      n.type = "number";
      n.value = value[i];
      if (p.step !== undefined) n.step = p.step;
      n.onchange = () => onChange(p.name, parts.map((x) => Number(x.value)), "change");
      input.appendChild(n);
      return n;
    });
    row.setValue = (v) => parts.forEach((n, i) => { if (Array.isArray(v) && v[i] !== undefined) n.value = v[i]; });
  } else if (p.max !== undefined) {
    // a slider with a number box for an exact value (step and range kept)
    const slider = sliderWithBox({
      min: p.min, max: p.max, step: p.step, value,
      onInput: (v) => onChange(p.name, v, "drag"),
      onChange: (v) => onChange(p.name, v, "release"),
    });
    input = slider.el;
    row.setValue = slider.setValue;
  } else {
    input = document.createElement("input");
    input.type = "number";
    input.value = value;
    input.onchange = () => onChange(p.name, Number(input.value), "change");
    row.setValue = (v) => { input.value = v; };
  }
  input.classList?.add("scl-input");
  row.appendChild(input);
  return row;
}
