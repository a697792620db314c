// What every console e2e script shares: its config (JSON in ADUAN_E2E, written by its pytest
// runner), Debian's chromium, pages watched for requests to other hosts and for script errors,
// screenshots, signing in, and `drive`, which runs the script's steps and prints one JSON line of
// what it saw (any failure exits non-zero, with a screenshot of every watched page).
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

export const cfg = JSON.parse(process.env.ADUAN_E2E);
export const base = cfg.base_url;
export const WAIT = 60_000;
const outside = [];
const pageErrors = [];
const pages = [];

export function watch(page, who) {
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["http:", "https:"].includes(url.protocol)) return;
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") outside.push(request.url());
  });
  page.on("pageerror", (err) => pageErrors.push(`${who}: ${err.message}`));
  page.on("console", (m) => { if (m.type() === "error") console.error(`${who} console: ${m.text()}`); });
  pages.push([who, page]);
  return page;
}

// A tab in the background draws no frames: bring it to the front first.
export async function shot(page, name) {
  await page.bringToFront();
  await page.screenshot({ path: path.join(cfg.artifacts, `${name}.png`), fullPage: true });
}

export async function signIn(page, username, password = cfg.password) {
  await page.goto(`${base}/#/staff`);
  await page.getByLabel(/Nama pengguna|Username/).fill(username);
  await page.getByLabel(/Kata sandi|Password/).fill(password);
  await page.locator("#login").click();
  await page.locator("#logout").waitFor();
}

// The newest mail in the stack's sink to `to` whose subject holds `marker`: its text, with
// quoted-printable line breaks undone (a one-time code is in the text, not in the subject a
// lock screen shows).
export async function mailText(to, marker) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    for (const name of fs.readdirSync(cfg.maildir).filter((n) => n.endsWith(".eml")).sort()
      .reverse()) {
      const whole = fs.readFileSync(path.join(cfg.maildir, name), "utf8");
      const head = whole.split(/\r?\n\r?\n/)[0];
      const field = (key) => ((head.match(new RegExp(`^${key}: (.*)$`, "mi")) || [])[1] || "");
      if (field("To").includes(to) && field("Subject").includes(marker)) {
        return whole.replace(/=\r?\n/g, "");
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} about ${marker}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// Form controls a screen reader could not name: no <label for>, no aria-label, not wrapped.
export const unlabelled = (page) => page.evaluate(() => [...document.querySelectorAll(
  "main input, main select, main textarea")].filter((c) => !(c.labels && c.labels.length)
  && !c.getAttribute("aria-label") && !c.getAttribute("aria-labelledby"))
  .map((c) => c.id || c.name || c.type));

// Runs `steps(browser, seen)` in a fresh headless chromium, then prints `seen` with the
// requests that left the gateway's origin and the pages' script errors.
export async function drive(steps) {
  const seen = {};
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    // launch() always starts from a fresh temporary profile (playwright refuses --user-data-dir).
  });
  try {
    await steps(browser, seen);
  } catch (err) {
    for (const [who, page] of pages) await shot(page, `failed-${who}`).catch(() => {});
    console.error(`page errors: ${JSON.stringify(pageErrors)}`);
    throw err;
  } finally {
    await browser.close();
  }
  seen.outside_requests = outside;
  seen.page_errors = pageErrors;
  console.log(JSON.stringify(seen));
}
