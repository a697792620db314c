// Drives Debian's chromium to the console's report page of a report a resident filed on
// WhatsApp: the operator who reviews it reads where it came from and why its photo proves no
// place or time, and, where the city accepts such photos, that the report went on with the
// reason noted. Prints one JSON line with what it saw; any failure exits non-zero. Config:
// JSON in ADUAN_E2E (test_console_whatsapp.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

// Whether each picture of the page loaded (false when one is broken), once all have finished.
// Polled from here: a waitForFunction predicate runs as page script, which the console's
// Content Security Policy (no 'unsafe-eval') may refuse.
async function photosShown(page) {
  await page.locator("main img").first().waitFor({ timeout: WAIT });
  const deadline = Date.now() + WAIT;
  for (;;) {
    const images = await page.evaluate(() => [...document.querySelectorAll("main img")]
      .map((i) => ({ settled: Boolean(i.getAttribute("src")) && i.complete,
        shown: i.naturalWidth > 0 })));
    if (images.every((i) => i.settled)) return images.map((i) => i.shown);
    if (Date.now() > deadline) throw new Error("the report's photos did not finish loading");
    await page.waitForTimeout(200);
  }
}

await drive(async (browser, seen) => {
  const desk = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.code}`);
  const channel = operator.locator("#report-channel");
  await channel.waitFor({ timeout: WAIT });
  seen.channel = await channel.textContent();
  seen.verification = await operator.locator("#verification").textContent();
  seen.page = await operator.locator("main").textContent();
  seen.photos = await photosShown(operator);
  await shot(operator, "w1-whatsapp-report");
  await operator.evaluate(() => { localStorage.setItem("aduan.lang", "en"); });
  await operator.reload();
  await channel.waitFor({ timeout: WAIT });
  seen.verification_en = await operator.locator("#verification").textContent();
  await shot(operator, "w2-whatsapp-report-en");
  // A city that accepts such photos: the report went on, the reason kept as a flag (in
  // English still).
  await operator.goto(`${base}/#/staff/report/${cfg.flagged_code}`);
  const flags = operator.locator("#verification-flags");
  await flags.waitFor({ timeout: WAIT });
  seen.flags = await flags.textContent();
  seen.flagged_verification = await operator.locator("#verification").textContent();
  seen.flagged_photos = await photosShown(operator);
  await shot(operator, "w3-whatsapp-report-accepted");
});
