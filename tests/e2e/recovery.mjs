// The reporter of a confidential report, on a device that never had the token: the page answers
// as for a missing report and offers the way back in; a one-time code sent to the email given
// with the report opens it (the code is read from the stack's mail sink, as the reporter reads
// their mail). Then the tracking link from a message, opened on a third device: its token is
// kept and taken out of the address bar. Config: tests/e2e/test_console_recovery.py.
import { base, cfg, drive, mailText, shot, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const other = await browser.newContext({ viewport: { width: 390, height: 844 },
    isMobile: true, hasTouch: true, timezoneId: "Asia/Makassar" });
  const page = watch(await other.newPage(), "other-device");
  await page.goto(`${base}/#/track/${cfg.code}`);
  await page.locator("#status.error").waitFor();
  seen.first_message = await page.locator("#status").textContent();
  await page.locator("#recover").waitFor();
  seen.recover_text = await page.locator("#recover").innerText();
  await page.getByLabel("Email atau nomor telepon").fill(cfg.email);
  await page.locator("#recover-send").click();
  await page.locator("#recover-step2").waitFor({ state: "visible" });
  seen.sent_message = await page.locator("#status").textContent();
  await shot(page, "01-recovery-asked");
  const text = await mailText(cfg.email, `Kode akses laporan ${cfg.code}`);
  const otp = text.match(/perangkat lain: (\d{6})\./)[1];
  await page.getByLabel("Kode 6 angka").fill(otp);
  await page.locator("#recover-check").click();
  await page.locator("#report-h").filter({ hasText: cfg.code }).waitFor();
  seen.kept = await page.evaluate((c) =>
    Boolean(JSON.parse(localStorage.getItem("aduan.reports") || "{}")[c]), cfg.code);
  seen.recovered_text = await page.locator("#main").innerText();
  seen.created = await page.locator("#report-created").textContent();
  await shot(page, "02-recovered");

  // The tracking link of a message, on yet another device.
  const third = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const linked = watch(await third.newPage(), "link");
  const token = decodeURIComponent(cfg.link.split("/").pop());
  seen.token_sent_in = [];  // request lines and Referers that carried the token: none
  linked.on("request", (request) => {
    const referer = request.headers().referer || "";
    if (request.url().includes(token) || referer.includes(token)) {
      seen.token_sent_in.push(request.url());
    }
  });
  await linked.goto(cfg.link);
  await linked.locator("#report-h").filter({ hasText: cfg.code }).waitFor();
  seen.link_hash = await linked.evaluate(() => window.location.hash);
  seen.link_kept = await linked.evaluate((c) =>
    Boolean(JSON.parse(localStorage.getItem("aduan.reports") || "{}")[c]), cfg.code);
  seen.link_text = await linked.locator("#main").innerText();
  await shot(linked, "03-opened-from-link");
});
