// Drives Debian's chromium through the leaders' page against a running stack: a city leader and
// the head of one agency sign in and read their figures (the city's own stages, channels,
// ratings, times per agency and per field officer). Prints one JSON line with what it saw; any
// failure exits non-zero. Config: JSON in ADUAN_E2E (tests/e2e/test_leader_console.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

const rowsOf = (page, table) => page.locator(`#${table} tbody tr`).evaluateAll((rows) =>
  rows.map((r) => [...r.children].map((c) => c.textContent)));

async function leaderPage(browser, who, username) {
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
  await shot(page, who);
  await desk.close();
  return result;
}

await drive(async (browser, seen) => {
  seen.leader = await leaderPage(browser, "leader", cfg.leader);
  seen.head = await leaderPage(browser, "agency-head", cfg.head);
});
