// Drives Debian's chromium to the console's report page of a report an Open311 client filed
// with a media_url the gateway refused to fetch: the operator who reviews it reads why there
// is no photo. Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON
// in ADUAN_E2E (test_console_open311_media.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.code}`);
  const why = operator.locator("#media-fetch-failed");
  await why.waitFor({ timeout: WAIT });
  seen.why = await why.textContent();
  seen.verification = await operator.locator("#verification").textContent();
  await shot(operator, "m1-media-url-refused");
  await operator.evaluate(() => { localStorage.setItem("aduan.lang", "en"); });
  await operator.reload();
  await why.waitFor({ timeout: WAIT });
  seen.why_en = await why.textContent();
  await shot(operator, "m2-media-url-refused-en");
});
