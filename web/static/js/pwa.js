// The installable app: the service worker (/sw.js, the app shell offline) and the manifest in
// the page's language.
export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

export function manifestLanguage(lang) {
  const link = document.querySelector('link[rel="manifest"]');
  const href = lang === "en" ? "/manifest.en.webmanifest" : "/manifest.webmanifest";
  if (link && link.getAttribute("href") !== href) link.setAttribute("href", href);
}
