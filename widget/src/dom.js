// dom.js - how the widget's modules build their elements: one call per
// element with its class and properties, and the hint line that explains a
// refused input (under a number box, under the parameter-set row).

// A `tag` element with `className` (none if empty) and the given properties.
export const element = (tag, className, props = {}) =>
  Object.assign(document.createElement(tag), className ? { className } : {}, props);

// A hint line, hidden while it says nothing: {el, say(text)} ("" hides it).
export function hintLine() {
  const el = element("div", "scl-hint", { hidden: true });
  return { el, say(text) { el.textContent = text; el.hidden = !text; } };
}
