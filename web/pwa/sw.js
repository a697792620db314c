// The resident app's service worker, served as /sw.js (root scope) by web/__init__.py, which
// fills in the version and the lists (web/shell.py).
// - The app shell (index.html, styles, scripts) is kept in a cache named after its version and
//   served from there: a repeat visit opens with no network. A release changes the version, so
//   the browser installs a new worker with a new cache and the old one is deleted.
// - The documents the page reads (names of statuses, the base map, the city's categories):
//   asked of the network first; the last answer kept is served when there is none, or none
//   within 3 s (a weak signal). The city's map polygons: the kept copy at once, asked again
//   behind it (they change with a release, if ever).
// - Anything else (the API) goes to the network as if there were no worker.
// - Requests that carry a credential (Authorization, X-Reporter-Token) are left alone.
// - Push: a status change of a report shown as a notification; a tap opens its tracking page.
const VERSION = "__VERSION__";
const SHELL = [/* SHELL */];
const DOCUMENTS = [/* DOCUMENTS */];
const SHELL_URLS = SHELL.map(([url]) => url);
const CACHE = `aduan-shell-${VERSION}`;
const DATA = "aduan-data";

async function keepDocuments() {
  const data = await caches.open(DATA);
  await Promise.all(DOCUMENTS.map((url) => data.add(url).catch(() => {})));
  // The city's polygons, so the map is drawn offline too.
  try {
    const catalogue = await (await data.match("/api/v1/categories")).json();
    if (/^[a-z]+$/.test(catalogue.city)) {
      await data.addAll([`/geo/${catalogue.city}.geojson`, `/geo/${catalogue.city}_kecamatan.geojson`]);
    }
  } catch { /* drawn without polygons until the page is opened online */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(CACHE);
    // Asked again (not from the HTTP cache's old copy), and each file checked against the
    // hash this version names: during a rolling release a server still on the old files
    // fails the install (tried again at the next visit) instead of mixing old into new.
    await shell.addAll(SHELL.map(([url, integrity]) =>
      new Request(url, { cache: "no-cache", integrity })));
    await keepDocuments();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("aduan-shell-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

const WEAK_SIGNAL_MS = 3000;

async function fromShell(request) {
  const shell = await caches.open(CACHE);
  const found = await shell.match(request, { ignoreSearch: request.mode === "navigate" });
  return found || fetch(request);
}

// The network's answer (kept for later), or the kept one: at once (`waitMs` 0), when the
// network fails or answers with an error, or when it has not answered within `waitMs`.
async function lastAnswer(event, waitMs) {
  const data = await caches.open(DATA);
  const stored = await data.match(event.request);
  const fresh = fetch(event.request).then(async (response) => {
    if (response.ok) await data.put(event.request, response.clone());
    return response;
  });
  if (!stored) return fresh;
  event.waitUntil(fresh.catch(() => {}));
  const late = new Promise((resolve) => { setTimeout(() => resolve(stored), waitMs); });
  return Promise.race([fresh.then((response) => (response.ok ? response : stored), () => stored),
    late]);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // A credential's answer is that person's: never kept, never served from a kept copy.
  if (request.headers.has("Authorization") || request.headers.has("X-Reporter-Token")) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(fromShell(new Request("/")));
  } else if (SHELL_URLS.includes(url.pathname) && !url.search) {
    event.respondWith(fromShell(request));
  } else if (DOCUMENTS.includes(url.pathname + url.search)) {
    event.respondWith(lastAnswer(event, WEAK_SIGNAL_MS));
  } else if (/^\/geo\/[a-z_]+\.geojson$/.test(url.pathname)) {
    event.respondWith(lastAnswer(event, 0));
  }
});

// Only a path of this site is opened from a notification ("//elsewhere" is not one).
function sameOrigin(url) {
  try {
    return typeof url === "string" && new URL(url, self.location.origin).origin === self.location.origin;
  } catch { return false; }
}

// The notification service's payload: {code, title, body, url, stage?} (no personal data).
self.addEventListener("push", (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch { message = { body: event.data.text() }; }
  const url = sameOrigin(message.url) ? message.url : "/#/mine";
  event.waitUntil(self.registration.showNotification(message.title || "Aduan", {
    body: message.body || "", tag: message.code || undefined, renotify: Boolean(message.code),
    icon: "/static/icons/icon-192.png", badge: "/static/icons/icon-192.png",
    data: { url, code: message.code || null, stage: message.stage || null },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const wanted = (event.notification.data || {}).url;
  const url = new URL(sameOrigin(wanted) ? wanted : "/#/mine", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open) {
      try {
        await open.focus();
        if (await open.navigate(url)) return null;
      } catch { /* an uncontrolled page cannot be navigated: a new window then */ }
    }
    return self.clients.openWindow(url);
  })());
});

// The push service replaced the subscription: a new one for the same key; the open pages
// register this device's reports with it (they hold the reporter tokens), or the next start
// does (push.js resyncPush compares the endpoint).
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const old = event.oldSubscription;
    const key = old && old.options && old.options.applicationServerKey;
    if (!event.newSubscription && key) {
      await self.registration.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: key });
    }
    for (const client of await self.clients.matchAll({ type: "window" })) {
      client.postMessage({ type: "aduan:pushsubscriptionchange" });
    }
  })());
});
