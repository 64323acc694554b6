// presets.js - the model's parameter sets (OpenSCAD's model.json, which the
// kernel reads and writes; here as the `presets` trait {name: {param:
// value}}): pick one to apply it, save the current values as a new or an
// existing set, delete one.
import { element, hintLine } from "./dom.js";

// container: where the row goes (the panel); get(): the sets; apply(name),
// save(name), remove(name) do the work.
export function attachPresets({ container, get, apply, save, remove }) {
  const row = element("div", "scl-presets");
  const select = element("select", "scl-preset-select",
    { title: "Parameter sets (the model's .json file, as OpenSCAD keeps them)" });
  const name = element("input", "scl-preset-name", { type: "text", placeholder: "set name" });
  const button = (text, cls, title) => element("button", cls, { textContent: text, title });
  const applyButton = button("Apply", "scl-preset-apply", "Set the parameters to this set's values");
  const saveButton = button("Save", "scl-preset-save", "Save the current values under the name (new or existing set)");
  const deleteButton = button("Delete", "scl-preset-delete", "Delete this set");
  const hint = hintLine();
  const line1 = element("div");
  line1.append(select, applyButton, deleteButton);
  const line2 = element("div");
  line2.append(name, saveButton);
  row.append(line1, line2, hint.el);
  container.prepend(row);

  const refresh = () => {
    const sets = get() || {};
    const chosen = select.value;
    select.replaceChildren();
    select.append(element("option", "",
      { value: "", textContent: Object.keys(sets).length ? "— parameter set —" : "no parameter sets" }));
    for (const n of Object.keys(sets)) select.append(element("option", "", { value: n, textContent: n }));
    if (chosen in sets) select.value = chosen;
    applyButton.disabled = deleteButton.disabled = !select.value;
  };
  const say = hint.say;
  select.addEventListener("change", () => {
    applyButton.disabled = deleteButton.disabled = !select.value;
    if (select.value) name.value = select.value;
    say("");
  });
  applyButton.addEventListener("click", () => { if (select.value) apply(select.value); });
  deleteButton.addEventListener("click", () => {
    if (!select.value) return;
    remove(select.value);
    select.value = "";
    refresh();
  });
  saveButton.addEventListener("click", () => {
    const n = name.value.trim();
    if (!n) { say("give the set a name"); return; }
    say("");
    save(n);
    refresh();
    select.value = n;
    applyButton.disabled = deleteButton.disabled = false;
  });
  name.addEventListener("keydown", (e) => { if (e.key === "Enter") saveButton.click(); });
  refresh();
  return { row, refresh, dispose() { row.remove(); } };
}
