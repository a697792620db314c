// Drives Debian's chromium through the possible-duplicates box of the console's report page
// against a running stack: an operator opens a report filed 20 m from an earlier one of the
// same category, finds the earlier one listed, and marks the report a duplicate of it in one
// click. Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in
// ADUAN_E2E (test_console_duplicates.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.second}`);
  const entry = operator.locator(`#possible-duplicates li[data-code="${cfg.first}"]`);
  await entry.waitFor({ timeout: WAIT });
  seen.heading = await operator.locator("#possible-duplicates h2").textContent();
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
});
