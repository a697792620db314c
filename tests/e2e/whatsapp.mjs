// Drives Debian's chromium to the console's report page of a report a resident filed on
// WhatsApp: the operator who reviews it reads where it came from and why its photo proves no
// place or time, and, where the city accepts such photos, that the report went on with the
// reason noted. Prints one JSON line with what it saw; any failure exits non-zero. Config:
// JSON in ADUAN_E2E (test_console_whatsapp.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

// Whether every picture of the page has loaded (false when one is broken); waits for them.
const photosShown = (page) => page.waitForFunction(() => [...document.querySelectorAll("main img")]
  .every((i) => i.getAttribute("src") && i.complete), null, { timeout: WAIT }).then(() => page.evaluate(() =>
  [...document.querySelectorAll("main img")].map((i) => i.naturalWidth > 0)));

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
