// presets.js - the model's parameter sets (OpenSCAD's model.json, which the
// kernel reads and writes; here as the `presets` trait {name: {param:
// value}}): pick one to apply it, save the current values as a new or an
// existing set, delete one.

// container: where the row goes (the panel); get(): the sets; apply(name),
// save(name), remove(name) do the work.
export function attachPresets({ container, get, apply, save, remove }) {
  const row = document.createElement("div");
  row.className = "scl-presets";
  const select = document.createElement("select");
  select.className = "scl-preset-select";
  select.title = "Parameter sets (the model's .json file, as OpenSCAD keeps them)";
  const name = document.createElement("input");
  name.type = "text";
  name.className = "scl-preset-name";
  name.placeholder = "set name";
  const button = (text, cls, title) => {
    const b = document.createElement("button");
    b.textContent = text;
    b.className = cls;
    b.title = title;
    return b;
  };
  const applyButton = button("Apply", "scl-preset-apply", "Set the parameters to this set's values");
  const saveButton = button("Save", "scl-preset-save", "Save the current values under the name (new or existing set)");
  const deleteButton = button("Delete", "scl-preset-delete", "Delete this set");
  const hint = document.createElement("div");
  hint.className = "scl-hint";
  hint.hidden = true;
  const line1 = document.createElement("div");
  line1.append(select, applyButton, deleteButton);
  const line2 = document.createElement("div");
  line2.append(name, saveButton);
  row.append(line1, line2, hint);
  container.prepend(row);

  const refresh = () => {
    const sets = get() || {};
    const chosen = select.value;
    select.replaceChildren();
    const none = document.createElement("option");
    none.value = "";
    none.textContent = Object.keys(sets).length ? "— parameter set —" : "no parameter sets";
    select.append(none);
    for (const n of Object.keys(sets)) {
      const o = document.createElement("option");
      o.value = n;
      o.textContent = n;
      select.append(o);
    }
    if (chosen in sets) select.value = chosen;
    applyButton.disabled = deleteButton.disabled = !select.value;
  };
  const say = (text) => { hint.textContent = text; hint.hidden = !text; };
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
