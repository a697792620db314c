// The installable app: the service worker (/sw.js, the app shell offline) and the manifest in
// the page's language.
import { h } from "./dom.js";
import { t } from "./i18n.js";

// A form the person has typed in since the page was drawn (a reload would lose it).
let editing = false;
document.addEventListener("input", (event) => {
  if (event.target.closest && event.target.closest("form")) editing = true;
});
window.addEventListener("hashchange", () => { editing = false; });

// A new version took over (its worker activates at once): the page still runs the old
// modules, so it reloads, unless the person is writing something; then a banner offers it.
function newVersion() {
  if (!editing) { window.location.reload(); return; }
  if (document.getElementById("update-banner")) return;
  const reload = h("button", { type: "button", id: "update-reload" }, t("update_reload"));
  reload.addEventListener("click", () => window.location.reload());
  document.body.prepend(h("div", { class: "flash", id: "update-banner", role: "status" },
    `${t("update_ready")} `, reload));
}

export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  // The first install's take-over is no new version: the page is the current one.
  const updating = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updating) newVersion();
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

export function manifestLanguage(lang) {
  const link = document.querySelector('link[rel="manifest"]');
  const href = lang === "en" ? "/manifest.en.webmanifest" : "/manifest.webmanifest";
  if (link && link.getAttribute("href") !== href) link.setAttribute("href", href);
}
