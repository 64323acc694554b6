// theme.js - the host's light/dark theme, for theme "auto".
// JupyterLab and Notebook 7 say light or dark on <body data-jp-theme-light>,
// marimo puts a "dark" class on <html> or <body>; elsewhere the system's
// colour scheme decides.
export function hostIsDark() {
  const body = document.body, html = document.documentElement;
  if (body?.dataset.jpThemeLight) return body.dataset.jpThemeLight === "false";
  if ([html, body].some((el) => el?.classList.contains("dark") || el?.classList.contains("dark-theme"))) return true;
  return !!globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches;
}

// Call `onChange` whenever the host's theme may have changed; returns a stop function.
export function followHostTheme(onChange) {
  const observer = new MutationObserver(onChange);
  for (const el of [document.documentElement, document.body])
    if (el) observer.observe(el, { attributes: true, attributeFilter: ["class", "data-jp-theme-light"] });
  const media = globalThis.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", onChange);
  return () => { observer.disconnect(); media?.removeEventListener?.("change", onChange); };
}
