// Drives Debian's chromium to the console's report page of a report a resident sent by SMS (an
// address, no point): the operator reads that it came by SMS and that it has no point yet, marks
// the place on the map, verifies, and the page shows the report verified (or beyond). Prints one
// JSON line with what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E
// (test_console_sms_point.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const desk = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.code}`);
  const hint = operator.locator("#picked-point");
  await hint.waitFor({ timeout: WAIT });
  await operator.locator('.map[data-pick="on"]').waitFor({ timeout: WAIT });
  seen.channel = await operator.locator("#report-channel").textContent();
  seen.address = await operator.locator("#report-address").textContent();
  seen.hint = await hint.textContent();
  await shot(operator, "s1-sms-report-without-point");
  // The middle of the largest kecamatan drawn on the map: a place inside the city.
  const spot = await operator.evaluate(() => {
    const boxes = [...document.querySelectorAll(".map path.leaflet-interactive")]
      .map((p) => p.getBoundingClientRect()).filter((b) => b.width > 0 && b.height > 0);
    boxes.sort((a, b) => b.width * b.height - a.width * a.height);
    const b = boxes[0];
    return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
  });
  await operator.mouse.click(spot.x, spot.y);
  seen.picked = await hint.textContent();
  await shot(operator, "s2-point-marked");
  await operator.locator("#act-verify").click();
  await operator.locator('#report-status:not([data-status="needs_review"])')
    .waitFor({ timeout: WAIT });
  seen.status_after = await operator.locator("#report-status").getAttribute("data-status");
  await shot(operator, "s3-verified-with-point");
});
