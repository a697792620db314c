// Drives Debian's chromium to the tracking page of an information request an agency answered:
// its reporter, with the tracking link alone, reads "Dijawab" (not "Diselesaikan") in the status
// and the history, and the answer. Prints one JSON line with what it saw; any failure exits
// non-zero. Config: JSON in ADUAN_E2E (test_console_report_types.py).
import { base, cfg, drive, shot, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const reporter = watch(await phone.newPage(), "reporter");
  await reporter.goto(`${base}/#/track/${cfg.code}/${cfg.token}`);
  const status = reporter.locator('#report-status[data-status="resolved"]');
  await status.waitFor({ timeout: WAIT });
  seen.status = (await status.textContent()).trim();
  seen.history = (await reporter.locator("#history").innerText()).trim();
  seen.responses = (await reporter.locator("#responses").innerText()).trim();
  seen.confirm = (await reporter.locator("#confirm").textContent()).trim();
  seen.reopen = (await reporter.locator("#reopen").textContent()).trim();
  await shot(reporter, "t5-request-answered");
  await reporter.evaluate(() => { localStorage.setItem("aduan.lang", "en"); });
  await reporter.reload();
  await reporter.locator('#report-status[data-status="resolved"]').waitFor({ timeout: WAIT });
  seen.status_en = (await reporter.locator("#report-status").textContent()).trim();
});
