// Drives Debian's chromium through the leaders' page against a running stack: a city leader and
// the head of one agency sign in and read their figures (the city's own stages, channels,
// ratings, times per agency and per field officer). Prints one JSON line with what it saw; any
// failure exits non-zero. Config: JSON in ADUAN_E2E (tests/e2e/test_leader_console.py).
import path from "node:path";
import { chromium } from "playwright-core";

const cfg = JSON.parse(process.env.ADUAN_E2E);
const base = cfg.base_url;
const WAIT = 60_000;
const outside = [];
const pageErrors = [];
const seen = {};

function watch(page, who) {
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["http:", "https:"].includes(url.protocol)) return;
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") outside.push(request.url());
  });
  page.on("pageerror", (err) => pageErrors.push(`${who}: ${err.message}`));
  page.on("console", (m) => { if (m.type() === "error") console.error(`${who} console: ${m.text()}`); });
  return page;
}

async function signIn(page, username) {
  await page.goto(`${base}/#/staff`);
  await page.getByLabel(/Nama pengguna|Username/).fill(username);
  await page.getByLabel(/Kata sandi|Password/).fill(cfg.password);
  await page.locator("#login").click();
  await page.locator("#logout").waitFor();
}

const rowsOf = (page, table) => page.locator(`#${table} tbody tr`).evaluateAll((rows) =>
  rows.map((r) => [...r.children].map((c) => c.textContent)));

const unlabelled = (page) => page.evaluate(() => [...document.querySelectorAll(
  "main input, main select, main textarea")].filter((c) => !(c.labels && c.labels.length)
  && !c.getAttribute("aria-label") && !c.getAttribute("aria-labelledby"))
  .map((c) => c.id || c.name || c.type));

async function leaderPage(who, username) {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await desk.newPage(), who);
  await signIn(page, username);
  await page.goto(`${base}/#/leader`);
  await page.locator("#stats-total").waitFor({ timeout: WAIT });
  await page.locator("#chart-rating-agency").waitFor();
  await page.waitForTimeout(500);  // the charts draw in a microtask after the cards
  const result = {
    nav: await page.locator("#nav a").allTextContents(),
    total: Number(await page.locator("#stats-total").textContent()),
    agency: await page.locator("#stats-agency").count()
      ? await page.locator("#stats-agency").textContent() : null,
    rating_average: await page.locator("#rating-average").textContent(),
    rating_share: await page.locator("#rating-share").textContent(),
    stages: await page.locator("#table-stage tbody th").allTextContents(),
    channels: await rowsOf(page, "table-channel"),
    ratings: await rowsOf(page, "table-ratings"),
    agency_times: await rowsOf(page, "table-agency-times"),
    officer_times: await rowsOf(page, "table-officer-times"),
    charts_drawn: await page.locator("canvas").evaluateAll((all) =>
      all.length > 0 && all.every((c) => c.width > 0)),
    unlabelled: await unlabelled(page),
  };
  await page.screenshot({ path: path.join(cfg.artifacts, `${who}.png`), fullPage: true });
  await desk.close();
  return result;
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  seen.leader = await leaderPage("leader", cfg.leader);
  seen.head = await leaderPage("agency-head", cfg.head);
} finally {
  await browser.close();
}
seen.outside_requests = outside;
seen.page_errors = pageErrors;
console.log(JSON.stringify(seen));
