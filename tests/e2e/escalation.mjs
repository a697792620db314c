// Drives Debian's chromium through the escalation part of the console against a running stack:
// an operator escalates a report from its page with a note; the head of the agency holding it
// follows the "Eskalasi" link of the navigation to its escalations list and opens the report
// from it. Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in
// ADUAN_E2E (test_console_escalation.py).
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
  const code = cfg.code;
  // The operator: the report page offers "escalate" (the server's allowed actions).
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${code}`);
  await operator.locator("#act-escalate").waitFor({ timeout: WAIT });
  seen.escalate_label = await operator.locator("#act-escalate").textContent();
  seen.operator_nav = await operator.locator("#nav a").allTextContents();
  await operator.locator("#action-note").fill(cfg.note);
  await operator.locator("#act-escalate").click();
  await operator.locator("#report-escalations li").first().waitFor({ timeout: WAIT });
  seen.report_escalations = await operator.locator("#report-escalations li").allTextContents();
  seen.status_after = await operator.locator("#report-status").getAttribute("data-status");
  await shot(operator, "e1-operator-escalated");

  // The head of the agency: from the navigation to its escalations, then to the report.
  const office = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const head = watch(await office.newPage(), "head");
  await signIn(head, cfg.head);
  await head.locator('#nav a[href="#/escalations"]').click();
  const row = head.locator(`#escalations tr[data-code="${code}"]`);
  await row.waitFor({ timeout: WAIT });
  seen.head_nav = await head.locator("#nav a").allTextContents();
  seen.heading = await head.locator("main h1").first().textContent();
  seen.row = await row.locator("td").allTextContents();
  seen.link = await row.locator("a").getAttribute("href");
  await shot(head, "e2-head-escalations");
  await row.locator("a").click();
  await head.locator("#report-status").waitFor({ timeout: WAIT });
  seen.head_report_status = await head.locator("#report-status").getAttribute("data-status");
  seen.head_actions = await head.locator("#actions").count();
  await shot(head, "e3-head-report");
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
