// Drives Debian's chromium through the possible-duplicates box of the console's report page
// against a running stack: an operator opens a report filed 20 m from an earlier one of the
// same category, finds the earlier one listed, and marks the report a duplicate of it in one
// click. Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in
// ADUAN_E2E (test_console_duplicates.py).
import path from "node:path";
import { chromium } from "playwright-core";

const cfg = JSON.parse(process.env.ADUAN_E2E);
const base = cfg.base_url;
const WAIT = 60_000;
const outside = [];
const pageErrors = [];
const pages = [];
const seen = {};

function watch(page, who) {
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

async function shot(page, name) {
  await page.bringToFront();
  await page.screenshot({ path: path.join(cfg.artifacts, `${name}.png`), fullPage: true });
}

async function signIn(page, username) {
  await page.goto(`${base}/#/staff`);
  await page.getByLabel(/Nama pengguna|Username/).fill(username);
  await page.getByLabel(/Kata sandi|Password/).fill(cfg.password);
  await page.locator("#login").click();
  await page.locator("#logout").waitFor();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.second}`);
  const entry = operator.locator(`#possible-duplicates li[data-code="${cfg.first}"]`);
  await entry.waitFor({ timeout: WAIT });
  seen.heading = await operator.locator("#possible-duplicates h2").textContent();
  seen.entries = await operator.locator("#possible-duplicates li").count();
  seen.entry = await entry.textContent();
  seen.link = await entry.locator("a").getAttribute("href");
  const mark = entry.locator("button");
  seen.button = await mark.textContent();
  await shot(operator, "d1-possible-duplicates");
  await mark.click();
  await operator.locator('#report-status[data-status="duplicate"]').waitFor({ timeout: WAIT });
  seen.status_after = "duplicate";
  // A duplicate takes no more marking: the list stays, without its button.
  seen.buttons_after = await operator.locator("#possible-duplicates button").count();
  await shot(operator, "d2-marked-duplicate");
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
