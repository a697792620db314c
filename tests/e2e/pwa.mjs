// The resident app installed on a phone (config: tests/e2e/test_console_pwa.py):
// 1. the first visit installs the service worker; the browser finds the app installable;
// 2. offline, the app opens from the worker and a report with a photo is written: it waits
//    in the outbox; back online it is sent, and the first answer is lost on the way back, so
//    the page sends it again with the same Idempotency-Key (the server files it once);
// 3. a 2 MB photo goes up in chunks; the connection breaks after some of them; the next try
//    asks the server what it has and sends only the rest;
// 4. notifications turned on (PushManager.subscribe gives the suite's push double's
//    subscription: no vendor push service here); the test changes the report's status, the
//    double decrypts what the notification service sent (the runner hands it over through
//    files in cfg.handshake), and the payload is delivered to the worker (CDP), which shows it.
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { chromium } from "playwright-core";
import { base, cfg, drive, mailText, shot, WAIT, watch } from "./driver.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The runner's answer in cfg.handshake/<name>.json (written once the test has done its part).
async function handed(name) {
  const file = path.join(cfg.handshake, `${name}.json`);
  const deadline = Date.now() + 2 * WAIT;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the runner never wrote ${name}.json`);
    await sleep(200);
  }
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
const hand = (name, data) => fs.writeFileSync(path.join(cfg.handshake, `${name}.json`),
  JSON.stringify(data));

async function fillReport(page, photo, description) {
  await page.locator("#where").filter({ hasText: /Lokasi ditemukan/ }).waitFor();
  await page.getByLabel("Kategori").selectOption(cfg.category);
  await page.getByLabel("Foto (kamera)").setInputFiles(photo);
  await page.getByLabel("Uraian").fill(description);
}

// Polls page.evaluate(fn) until it gives something (waitForFunction's predicate runs as page
// script, which the console's CSP may refuse).
async function until(page, fn, what) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const value = await page.evaluate(fn);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await sleep(250);
  }
}

// Offline for the page and for its service worker: context.setOffline reaches the worker's own
// fetches only with PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS=1 (the runner sets it), and
// every request the worker makes meanwhile is refused here too and counted: none may get an
// answer from the network while the phone is offline.
const offline = { on: false, tried: [], answered: [], started: new Set() };
const refuseWorker = (route) => (route.request().serviceWorker()
  ? (offline.tried.push(new URL(route.request().url()).pathname),
    route.abort("internetdisconnected"))
  : route.fallback());
async function goOffline(phone) {
  await phone.route("**", refuseWorker);
  await phone.setOffline(true);
  offline.on = true;
}
async function goOnline(phone) {
  offline.on = false;
  await phone.setOffline(false);
  await phone.unroute("**", refuseWorker);
}

const outboxText = (page) => page.locator("#outbox").innerText().catch(() => "");

// A profile on disk, as a phone's browser has: Chromium does not offer to install an app from
// an incognito context (what browser.newContext() makes).
async function phoneProfile() {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), "aduan-pwa-")), {
    executablePath: "/usr/bin/chromium", headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    geolocation: { latitude: cfg.lat, longitude: cfg.lon, accuracy: 12 },
    permissions: ["geolocation", "notifications"],
  });
}

await drive(async (browser, seen) => {
  const phone = await phoneProfile();
  try {
    await onThePhone(phone, seen);
  } catch (err) {
    for (const open of phone.pages()) await shot(open, "failed-phone").catch(() => {});
    throw err;
  } finally {
    await phone.close();
  }
});

async function onThePhone(phone, seen) {
  // The push double's subscription in place of the vendor's (the browser cannot reach one).
  await phone.addInitScript((subscription) => {
    // Step 3 shortens the page's request timeouts (30 s a chunk) to 2 s: a hung chunk is
    // given up within the test's time.
    const realTimeout = AbortSignal.timeout;
    AbortSignal.timeout = (ms) => realTimeout.call(AbortSignal,
      self.__shortTimeouts ? Math.min(ms, 2000) : ms);
    if (!self.PushManager) return;
    let current = null;
    const made = () => ({ ...subscription, options: { userVisibleOnly: true },
      getKey: () => null, toJSON: () => subscription,
      unsubscribe: async () => { current = null; return true; } });
    PushManager.prototype.subscribe = async function subscribe(options) {
      if (!options || !options.applicationServerKey) throw new Error("no applicationServerKey");
      window.__pushKey = Array.from(new Uint8Array(options.applicationServerKey));
      current = made();
      return current;
    };
    PushManager.prototype.getSubscription = async function getSubscription() { return current; };
  }, cfg.push_subscription);
  // (A worker's request that started before the window may end in it: not counted.)
  phone.on("request", (request) => {
    if (offline.on && request.serviceWorker()) offline.started.add(request);
  });
  phone.on("requestfinished", (request) => {
    if (offline.started.has(request)) offline.answered.push(request.url());
  });
  const page = watch(phone.pages()[0] || await phone.newPage(), "resident");
  const cdp = await phone.newCDPSession(page);

  // 1. First visit: the worker installs and takes the page.
  await page.goto(`${base}/`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await until(page, () => Boolean(navigator.serviceWorker.controller), "the worker controls");
  seen.installability = (await cdp.send("Page.getInstallabilityErrors")).installabilityErrors;
  const manifest = await cdp.send("Page.getAppManifest");
  seen.manifest_errors = manifest.errors;
  seen.manifest = JSON.parse(manifest.data || "{}");
  seen.manifest_url = manifest.url;
  seen.caches = await page.evaluate(async () => {
    const names = await caches.keys();
    const out = {};
    for (const name of names) {
      out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
    }
    return out;
  });
  await page.locator("#lang").click();
  seen.manifest_link_en = await page.locator('link[rel="manifest"]').getAttribute("href");
  await page.locator("#lang").click();
  seen.manifest_link_id = await page.locator('link[rel="manifest"]').getAttribute("href");

  // 2. Offline: the app opens from the worker; the report waits in the outbox.
  await goOffline(phone);
  await page.goto(`${base}/#/`);
  await page.reload();
  // The city's categories from the worker's kept answer (none from the network).
  await page.locator('select[name=category] option:not([value=""])').first().waitFor({ state: "attached" });
  seen.offline_categories = await page.locator('select[name=category] option:not([value=""])')
    .evaluateAll((nodes) => nodes.map((n) => n.value));
  await fillReport(page, cfg.photo, cfg.description);
  await shot(page, "01-offline-form");
  await page.locator("#send").click();
  await page.waitForURL(/#\/mine$/);
  await page.locator("#outbox [data-state=waiting]").waitFor();
  seen.offline_flash = await page.locator("#status").textContent();
  seen.offline_outbox = await outboxText(page);
  seen.offline_entry = await page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open("aduan");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = await new Promise((resolve) => {
      const get = db.transaction("outbox").objectStore("outbox").getAll();
      get.onsuccess = () => resolve(get.result);
    });
    return all.map((e) => ({ key: e.key, state: e.state, size: e.photos[0].file.size,
      type: e.photos[0].file.type, device: e.report.device_location || null }));
  });
  seen.offline_status_roles = await page.locator("#outbox [data-outbox] [role=status]").count();
  await shot(page, "02-offline-outbox");
  // A second tab of the app, open when the signal comes back: both try to send the entry;
  // one does (a lock per entry), the other sees it go (and never writes it back).
  const other = watch(await phone.newPage(), "second-tab");
  await other.goto(`${base}/#/mine`);
  await other.locator("#outbox [data-state=waiting]").waitFor();
  await page.bringToFront();

  // Back online: the first answer of POST /reports is lost on its way back (the server has
  // filed the report); the page sends it again with the same key.
  const posts = [];
  await phone.route("**/api/v1/reports", async (route) => {
    const request = route.request();
    if (request.method() !== "POST") return route.continue();
    posts.push(request.headers()["idempotency-key"]);
    if (posts.length === 1) {
      await route.fetch();  // reaches the server
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await goOnline(phone);
  await page.locator("#sent [data-code]").first().waitFor({ timeout: WAIT });
  await page.locator("#outbox-h").waitFor({ state: "hidden" });
  await other.locator("#outbox-h").waitFor({ state: "hidden" });
  seen.other_tab_sent = await other.locator("#sent").innerText();
  await other.close();
  seen.posts = posts;
  seen.sent_text = await page.locator("#sent").innerText();
  seen.sent_flash = await page.locator("#status").textContent();
  seen.code = (await page.locator("#sent [data-code]").first().getAttribute("data-code"));
  await page.locator("#sent .mine-stage[data-loaded]").first().waitFor({ timeout: WAIT });
  await shot(page, "03-sent");
  await phone.unroute("**/api/v1/reports");

  // 2b. Written offline with a file that is no photo: the server refuses it when the signal is
  // back; the entry says why and stays until deleted (a retry would only be refused again).
  await goOffline(phone);
  await page.goto(`${base}/#/`);
  await fillReport(page, cfg.not_a_photo, cfg.refused_description);
  await page.locator("#send").click();
  await page.locator("#outbox [data-state=waiting]").waitFor();
  // The browser's own "online" starts the send (no event made here), well before the retry
  // timer (5 s after the failed try, or later).
  const backAt = Date.now();
  await goOnline(phone);
  const refused = page.locator("#outbox [data-state=failed]");
  await refused.waitFor({ timeout: WAIT });
  seen.refused_after_ms = Date.now() - backAt;
  seen.refused_text = await refused.textContent();
  await shot(page, "03b-refused");
  await page.locator("#outbox button.danger").click();
  await page.locator("#outbox-h").waitFor({ state: "hidden" });
  seen.refused_left = await page.evaluate(async () => {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open("aduan");
      open.onsuccess = () => resolve(open.result);
    });
    return new Promise((resolve) => {
      const count = db.transaction("outbox").objectStore("outbox").count();
      count.onsuccess = () => resolve(count.result);
    });
  });

  // 3. A 2 MB photo in chunks; the line breaks after a few of them: the first chunk after
  // the break hangs with no answer (the page gives it up on its timeout), the next fail.
  const chunks = [];
  const hung = [];
  const submitTexts = [];
  let breakAfter = cfg.break_after;
  await phone.route("**/api/v1/uploads/*/chunks/*", async (route) => {
    const index = Number(route.request().url().split("/").pop());
    if (breakAfter <= 0 && !hung.length) {
      chunks.push({ index, sent: false });
      hung.push(route);
      return undefined;
    }
    if (breakAfter <= 0) {
      chunks.push({ index, sent: false });
      return route.abort("internetdisconnected");
    }
    breakAfter -= 1;
    chunks.push({ index, sent: true });
    // The submit page's button says how far the photo has gone.
    submitTexts.push(await page.locator("#send").textContent().catch(() => ""));
    return route.continue();
  });
  const uploadCalls = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/v1/uploads")) {
      uploadCalls.push(`${request.method()} ${new URL(request.url()).pathname}`);
    }
  });
  const chunkFailures = [];
  page.on("requestfailed", (request) => {
    if (/\/chunks\/\d+$/.test(request.url())) chunkFailures.push(request.failure().errorText);
  });
  await page.goto(`${base}/#/`);
  await page.evaluate(() => { window.__shortTimeouts = true; });
  await fillReport(page, cfg.big_photo, cfg.big_description);
  await page.locator("#send").click();
  await page.waitForURL(/#\/mine$/);
  // (The page tries again on its own meanwhile: the state goes between waiting and sending.)
  const partly = page.locator("#outbox [data-state=waiting]").filter({ hasText: "sudah terkirim" });
  await partly.waitFor();
  await shot(page, "04-upload-interrupted");
  seen.interrupted_text = await partly.first().textContent({ timeout: 1000 })
    .catch(() => "Menunggu dikirim (seen by the wait above only)");
  seen.chunks_before = chunks.filter((c) => c.sent).map((c) => c.index);
  await page.evaluate(() => { window.__shortTimeouts = false; });
  seen.chunk_hung = hung.length;
  seen.chunk_failures = chunkFailures;
  // The connection is back: the next try (the page's own retry, or a tap on "send now") asks
  // the server what it has and sends the rest, on a slow line (the progress can be seen).
  const resumed = [];
  const progress = [];
  const marks = [];
  await phone.unroute("**/api/v1/uploads/*/chunks/*");
  for (const route of hung) await route.abort("timedout").catch(() => {});
  await phone.route("**/api/v1/uploads/*/chunks/*", async (route) => {
    resumed.push(Number(route.request().url().split("/").pop()));
    progress.push(await outboxText(page));
    // The card's status line is the same node all along (updated in place, not redrawn).
    marks.push(await page.evaluate(() => {
      const line = document.querySelector("#outbox [data-outbox] [role=status]");
      if (!line) return "none";
      if (!line.dataset.mark) { line.dataset.mark = "first"; return "marked"; }
      return line.dataset.mark;
    }).catch(() => "gone"));
    if (resumed.length === 2) await shot(page, "05-upload-resuming");
    await sleep(150);
    return route.continue();
  });
  await page.locator("#outbox button.secondary").first().click({ timeout: 2000 })
    .catch(() => {});  // the page's own retry may have started it already
  await page.locator("#outbox-h").waitFor({ state: "hidden", timeout: WAIT });
  seen.progress = progress;
  seen.status_marks = marks;
  seen.submit_texts = submitTexts;
  seen.chunks_after = resumed;
  seen.upload_calls = uploadCalls;
  seen.sent_codes = await page.locator("#sent [data-code]").evaluateAll((nodes) =>
    nodes.map((n) => n.dataset.code));
  seen.big_code = seen.sent_codes.find((c) => c !== seen.code);
  seen.reporters = await page.evaluate(() => JSON.parse(localStorage.getItem("aduan.reports")));

  // Repeat visit with no network at all: the app shell from the worker.
  await goOffline(phone);
  const again = watch(await phone.newPage(), "repeat-offline");
  await again.goto(`${base}/#/mine`);
  await again.locator("#sent [data-code]").first().waitFor();
  // Each card's request fails (no network) and says so under the last seen stage.
  for (const code of seen.sent_codes) {
    await again.locator(`#sent [data-code="${code}"]`)
      .filter({ hasText: "Tahap terbaru belum bisa dimuat" }).waitFor();
  }
  seen.repeat_offline_text = await again.locator("#main").innerText();
  await shot(again, "06-repeat-visit-offline");
  await again.close();
  await goOnline(phone);
  seen.worker_offline_tried = offline.tried;
  seen.worker_offline_answered = offline.answered;

  // 4. Notifications: on for this device's reports; a status change arrives as one.
  await page.goto(`${base}/#/mine`);
  // The server fails one report's registration: notifications are on all the same and the
  // page says one report is not registered; off and on again registers both.
  let failedOnce = false;
  await phone.route("**/api/v1/reports/*/push", (route) => {
    if (failedOnce || route.request().method() !== "POST") return route.fallback();
    failedOnce = true;
    return route.fulfill({ status: 503, contentType: "application/json",
      body: JSON.stringify({ error: { code: "unavailable", message: "Service unavailable." } }) });
  });
  await page.locator("#push-on").click();
  await page.locator("#push-off").waitFor();
  seen.push_partial_flash = await page.locator("#status").textContent();
  await phone.unroute("**/api/v1/reports/*/push");
  await page.locator("#push-off").click();
  await page.locator("#push-on").click();
  await page.locator("#push-off").waitFor();
  seen.push_state = await page.locator("#push-state").textContent();
  seen.push_key = await page.evaluate(() => window.__pushKey.length);
  await shot(page, "07-mine-push-on");
  hand("subscribed", { code: seen.code, codes: seen.sent_codes });
  const { payload } = await handed("pushed");
  seen.payload = payload;
  let registrationId = null;
  let running = false;
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
    const ours = registrations.find((r) => r.scopeURL === `${base}/` && !r.isDeleted);
    if (ours) registrationId = ours.registrationId;
  });
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    const active = versions.filter((v) => v.registrationId === registrationId
      && v.status === "activated");
    if (active.length) running = active.some((v) => v.runningStatus === "running");
  });
  await cdp.send("ServiceWorker.enable");
  for (let i = 0; !registrationId && i < 100; i += 1) await sleep(100);
  if (!registrationId) throw new Error("no service worker registration seen over CDP");
  const shown = async () => page.evaluate(async () => {
    const found = await (await navigator.serviceWorker.ready).getNotifications();
    return found.length ? found.map((n) => ({ title: n.title, body: n.body, tag: n.tag,
      data: n.data })) : null;
  });
  // The worker started first (the browser may have stopped it), then the message delivered
  // once: it must show it.
  await cdp.send("ServiceWorker.startWorker", { scopeURL: `${base}/` });
  for (let i = 0; !running && i < 100; i += 1) await sleep(100);
  if (!running) throw new Error("the service worker did not start");
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: base, registrationId,
    data: JSON.stringify(payload) });
  const deadline = Date.now() + WAIT;
  while (!seen.notifications) {
    if (Date.now() > deadline) throw new Error("no notification for the push delivered");
    seen.notifications = await shown();
    if (!seen.notifications) await sleep(250);
  }
  // A payload naming another site's address: the notification opens the app's own page.
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: base, registrationId,
    data: JSON.stringify({ code: "XX-OFFSITE", title: "t", body: "b",
      url: "//elsewhere.example/phish" }) });
  for (let i = 0; !seen.offsite && i < 4 * WAIT / 1000; i += 1) {
    seen.offsite = ((await shown()) || []).find((n) => n.tag === "XX-OFFSITE");
    if (!seen.offsite) await sleep(250);
  }
  seen.notifications = seen.notifications.filter((n) => n.tag !== "XX-OFFSITE");

  // Nothing sent with a reporter's token or a staff login was kept by the worker.
  seen.kept_data = await page.evaluate(async () => (await (await caches.open("aduan-data"))
    .keys()).map((r) => new URL(r.url).pathname));

  // The same page in English.
  await page.locator("#lang").click();
  await page.getByRole("heading", { name: "My reports" }).waitFor();
  seen.english_text = await page.locator("#main").innerText();
  await shot(page, "08-mine-english");
  await page.locator("#lang").click();
  await page.getByRole("heading", { name: "Laporan saya" }).waitFor();

  // 4b. Someone else's public report: followed with notifications from its tracking page (no
  // token here: a follower's registration; the runner looks).
  await page.goto(`${base}/#/track/${cfg.elsewhere[1]}`);
  await page.locator("#push-report").click();
  await page.locator("#status").filter({ hasText: "Anda mengikuti laporan ini" }).waitFor();
  await shot(page, "08b-follow-by-push");
  hand("followed", {});
  await handed("follower_seen");
  await page.goto(`${base}/#/mine`);
  await page.locator("#mine-code").waitFor();

  // 5. Reports filed on another phone (the same email): the code of one and a one-time code
  // bring them all into "My reports", the others marked as recovered; with notifications on,
  // they are registered for this device too (the runner counts them).
  const [first] = cfg.elsewhere;
  await page.locator("#mine-code").fill(first);
  await page.locator("#mine-recover").click();
  await page.locator("#recover-contact").fill(cfg.email);
  await page.locator("#recover-send").click();
  await page.locator("#recover-step2").waitFor({ state: "visible" });
  const mail = await mailText(cfg.email, `Kode akses laporan ${first}`);
  await page.locator("#recover-otp").fill(mail.match(/perangkat lain: (\d{6})\./)[1]);
  await page.locator("#recover-check").click();
  for (const code of cfg.elsewhere) {
    await page.locator(`#sent [data-code="${code}"] .mine-stage[data-loaded]`).waitFor();
  }
  seen.recovered = await page.locator("#sent [data-code]").evaluateAll((nodes) =>
    Object.fromEntries(nodes.map((n) => [n.dataset.code, n.innerText])));
  await shot(page, "09-mine-recovered");
  hand("recovered", {});
  await handed("counted");

  // The browser replaced the subscription since the reports were registered (another endpoint
  // than the one kept): at the next start the page registers every report again.
  const registrations = [];
  const count = (request) => {
    if (request.method() === "POST" && /\/api\/v1\/reports\/[^/]+\/push$/.test(request.url())) {
      registrations.push(request.url());
    }
  };
  page.on("requestfinished", count);
  await page.evaluate(() => localStorage.setItem("aduan.push.endpoint", "https://old.example/x"));
  await page.reload();
  for (let i = 0; registrations.length < 4 && i < 4 * WAIT / 1000; i += 1) await sleep(250);
  page.off("requestfinished", count);
  seen.resync_registrations = registrations.length;
  seen.resync_endpoint = await page.evaluate(() => localStorage.getItem("aduan.push.endpoint"));
  await page.locator("#push-off").waitFor();

  // Off again: the server forgets the device.
  await page.locator("#push-off").click();
  await page.locator("#push-on").waitFor();
  hand("unsubscribed", {});

  // A new version's worker takes over (skipWaiting + clients.claim: "controllerchange"; made
  // here, the server's version is fixed for the run): while a report is being typed, a banner
  // offers the reload; with no form touched, the page reloads itself.
  await page.goto(`${base}/#/`);
  await page.getByLabel("Uraian").fill("Sedang menulis laporan");
  await page.evaluate(() => navigator.serviceWorker.dispatchEvent(new Event("controllerchange")));
  seen.update_banner = await page.locator("#update-banner").textContent();
  seen.update_kept_text = await page.getByLabel("Uraian").inputValue();
  await page.goto(`${base}/#/mine`);
  await page.locator("#mine-code").waitFor();
  const reloaded = page.waitForEvent("load");
  await page.evaluate(() => navigator.serviceWorker.dispatchEvent(new Event("controllerchange")));
  await reloaded;
  seen.update_reloaded = true;

}
