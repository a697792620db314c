// Drives Debian's chromium to the console's report page of a report a resident filed on
// WhatsApp: the operator who reviews it reads where it came from and why its photo proves no
// place or time. Prints one JSON line with what it saw; any failure exits non-zero. Config:
// JSON in ADUAN_E2E (test_console_whatsapp.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

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
  await shot(operator, "w1-whatsapp-report");
  await operator.evaluate(() => { localStorage.setItem("aduan.lang", "en"); });
  await operator.reload();
  await channel.waitFor({ timeout: WAIT });
  seen.verification_en = await operator.locator("#verification").textContent();
  await shot(operator, "w2-whatsapp-report-en");
});
