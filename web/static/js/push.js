// Web Push: the phone gets a notification when one of its reports changes (the notification
// service sends it through the browser's push service, VAPID-signed; the service worker
// shows it). No SMS costs, no login: each report is registered with its reporter token.
import { call, myReports, reporterToken } from "./api.js";
import { busy, flash, h } from "./dom.js";
import { language, t } from "./i18n.js";

const PUSH_KEY = "aduan.push";

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window
  && "Notification" in window;

export const pushOn = () => localStorage.getItem(PUSH_KEY) === "on";

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/")
    + "=".repeat((4 - (base64url.length % 4)) % 4));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function subscription(create) {
  const registration = await navigator.serviceWorker.ready;
  const existing = await registration.pushManager.getSubscription();
  if (existing || !create) return existing;
  const { public_key: key } = await call("/push/key");
  return registration.pushManager.subscribe({ userVisibleOnly: true,
    applicationServerKey: keyBytes(key) });
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

// Turns notifications on for every report this device knows; "denied" when the person refused.
export async function subscribePush() {
  if (await Notification.requestPermission() !== "granted") return "denied";
  const sub = await subscription(true);
  for (const code of Object.keys(myReports())) await pushReport(code, sub);
  localStorage.setItem(PUSH_KEY, "on");
  return "on";
}

export async function unsubscribePush() {
  const sub = await subscription(false);
  if (sub) {
    await call("/push/subscriptions", { method: "DELETE", json: { endpoint: sub.endpoint } });
    await sub.unsubscribe();
  }
  localStorage.removeItem(PUSH_KEY);
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
