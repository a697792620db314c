// Building the page from data with text nodes only (no HTML strings), so nothing a resident
// typed can become markup.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
export function field(labelText, control) {
  if (!control.id) control.id = `f${++uid}`;
  return h("div", {}, h("label", { for: control.id }, labelText), control);
}

export function flash(message, isError = false) {
  const box = document.getElementById("status");
  box.textContent = message;
  box.className = isError ? "flash error" : "flash";
  box.hidden = !message;
}

export function showError(err) {
  const code = err && err.code ? ` (${err.code})` : "";
  flash(`${t("error")}: ${err && err.message ? err.message : err}${code}`, true);
}

// A page passes the parts it has; one it lacks (null, say a list with nothing in it) is left
// out, not printed as "null".
export function mount(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined
    && node !== false));
  main.focus({ preventScroll: true });
}

// Runs an async action with its button disabled; errors go to the status line.
export async function busy(button, work) {
  button.disabled = true;
  try { return await work(); } catch (err) { showError(err); return undefined; }
  finally { button.disabled = false; }
}
