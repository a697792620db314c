// Web Push: the phone gets a notification when one of its reports changes (the notification
// service sends it through the browser's push service, VAPID-signed; the service worker
// shows it). No SMS costs, no login: each report is registered with its reporter token.
import { call, myReports, reporterToken } from "./api.js";
import { busy, flash, h } from "./dom.js";
import { language, t } from "./i18n.js";

const PUSH_KEY = "aduan.push";
// The endpoint this device's reports were registered with (a browser may replace its
// subscription: the reports are then registered again with the new one).
const ENDPOINT_KEY = "aduan.push.endpoint";

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window
  && "Notification" in window;

export const pushOn = () => localStorage.getItem(PUSH_KEY) === "on";

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/")
    + "=".repeat((4 - (base64url.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

const sameBytes = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

// The device's subscription; with `create`, one made (or made again) for the server's current
// VAPID key: a subscription made for an earlier key would get nothing once the key rotated.
async function subscription(create) {
  const registration = await navigator.serviceWorker.ready;
  const existing = await registration.pushManager.getSubscription();
  if (!create) return existing;
  const { public_key: key } = await call("/push/key");
  const wanted = keyBytes(key);
  if (existing) {
    const had = existing.options && existing.options.applicationServerKey;
    if (!had || sameBytes(new Uint8Array(had), wanted)) return existing;
    await existing.unsubscribe().catch(() => {});
  }
  return registration.pushManager.subscribe({ userVisibleOnly: true,
    applicationServerKey: wanted });
}

// The subscription as the API takes it: {endpoint, keys: {p256dh, auth}}.
const described = (sub) => {
  const { endpoint, keys } = sub.toJSON();
  return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
};

// One report's news to this device (its reporter's when this device has the token).
export async function pushReport(code, sub) {
  await call(`/reports/${encodeURIComponent(code)}/push`, { method: "POST", reporter: code,
    json: { subscription: described(sub), language: language() } });
}

// Registers every report this device knows with `sub`; how many could not be (each is tried:
// one refused or failed report does not leave the others without news).
async function registerAll(sub) {
  let failed = 0;
  for (const code of Object.keys(myReports())) {
    try { await pushReport(code, sub); } catch { failed += 1; }
  }
  localStorage.setItem(ENDPOINT_KEY, sub.endpoint);
  return failed;
}

// Turns notifications on for every report this device knows: {state: "on", failed (reports
// not registered)}, or {state: "denied"} when the person refused.
export async function subscribePush() {
  if (await Notification.requestPermission() !== "granted") return { state: "denied" };
  const sub = await subscription(true);
  localStorage.setItem(PUSH_KEY, "on");
  return { state: "on", failed: await registerAll(sub) };
}

// At start, with notifications on: the browser's subscription may have changed (renewed by
// the push service, or the server's key rotated); the reports are registered again with the
// new one (best effort, tried again at the next start).
export async function resyncPush() {
  if (!pushOn() || !pushSupported() || Notification.permission !== "granted") return;
  const sub = await subscription(true);
  if (sub.endpoint !== localStorage.getItem(ENDPOINT_KEY)) await registerAll(sub);
}

export async function unsubscribePush() {
  const sub = await subscription(false);
  if (sub) {
    await call("/push/subscriptions", { method: "DELETE", json: { endpoint: sub.endpoint } });
    await sub.unsubscribe();
  }
  localStorage.removeItem(PUSH_KEY);
  localStorage.removeItem(ENDPOINT_KEY);
}

// The worker saw the push service replace the subscription (pushsubscriptionchange) and
// resubscribed: the reports are registered with the new endpoint.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    if ((event.data || {}).type === "aduan:pushsubscriptionchange") resyncPush().catch(() => {});
  });
}

// A report filed or recovered while notifications are on is registered too (best effort: a
// failure leaves it to the next "turn on").
window.addEventListener("aduan:mine", (event) => {
  if (!pushOn() || !pushSupported()) return;
  subscription(false).then((sub) => sub && pushReport(event.detail.code, sub)).catch(() => {});
});

// The tracking page's button: this report's news on this device, its reporter's (with the
// token kept here) or, for anyone else, a follower's public facts (no email to confirm: the
// endpoint is the device's).
export function pushReportBox(code) {
  if (!pushSupported()) return null;
  const button = h("button", { type: "button", class: "secondary", id: "push-report" },
    t("push_report"));
  button.addEventListener("click", () => busy(button, async () => {
    if (await Notification.requestPermission() !== "granted") {
      flash(t("push_denied"), true);
      return;
    }
    await pushReport(code, await subscription(true));
    flash(t(reporterToken(code) ? "push_report_on" : "push_follow_on"));
  }));
  return h("section", { class: "card", id: "push-report-box" }, h("h2", {}, t("push_title")),
    h("p", { class: "muted" }, t("push_report_hint")), button);
}
