// Drives Debian's chromium through the staff intake desk and the resident's tracking link against
// a running stack, in two runs (the test reads the resident's email between them):
// - phase "desk": an operator opens "Loket pengaduan" from the navigation and files a caller's
//   report without a photo (channel, type, category, caller's contact, a typed address and a
//   spot picked on the map); the receipt shows the code and where the link went. The form is
//   also drawn at phone size.
// - phase "follow": in a new browser context (nothing stored) the resident opens the tracking
//   link from their email, sees the stage bar, and comments; the operator reads the comment on
//   the report's page and answers; the resident's page shows the answer.
// Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E
// (test_console_desk.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

async function fileAtDesk(browser, seen) {
  const office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const operator = watch(await office.newPage(), "operator");
  await signIn(operator, cfg.operator);
  seen.operator_nav = await operator.locator("#nav a").allTextContents();
  await operator.locator('#nav a[href="#/desk"]').click();
  await operator.locator("#desk-map[data-ready]").waitFor({ timeout: WAIT });
  seen.heading = await operator.locator("main h1").first().textContent();
  seen.channels = await operator.locator("#desk-channel option").allTextContents();
  seen.types = await operator.locator("#desk-type option").allTextContents();
  seen.unlabelled = await unlabelled(operator);
  await shot(operator, "d1-desk-empty");

  // Nothing filed while the form lacks what the category asks for.
  await operator.locator("#desk-send").click();
  seen.incomplete = await operator.locator("#status").textContent();

  await operator.locator("#desk-channel").selectOption("call_centre");
  await operator.locator("#desk-type").selectOption("complaint");
  await operator.locator("#desk-category").selectOption(cfg.category);
  await operator.locator("#desk-description").fill(cfg.description);
  await operator.locator("#desk-name").fill(cfg.caller_name);
  await operator.locator("#desk-email").fill(cfg.caller_email);
  await operator.locator("#desk-address").fill(cfg.address);
  const map = operator.locator("#desk-map");
  const box = await map.boundingBox();
  await map.click({ position: { x: box.width * 0.6, y: box.height * 0.55 } });
  seen.spot = await operator.locator("#desk-where").textContent();
  await shot(operator, "d2-desk-filled");
  await operator.locator("#desk-send").click();
  await operator.locator("#desk-code").waitFor({ timeout: WAIT });
  seen.code = (await operator.locator("#desk-code").textContent()).trim();
  seen.sent_to = await operator.locator("#desk-sent-to").textContent();
  seen.tracking_url = await operator.locator("#desk-tracking-url").textContent();
  seen.receipt_text = await operator.locator("#desk-receipt").textContent();
  seen.form_cleared = await operator.locator("#desk-description").inputValue() === "";
  await shot(operator, "d3-desk-filed");

  // A walk-in visitor with no phone or email, the place told as an address only: the code is
  // read out, and the report's page shows the address without a point.
  await operator.locator("#desk-channel").selectOption("walk_in");
  await operator.locator("#desk-category").selectOption(cfg.category);
  await operator.locator("#desk-description").fill(cfg.walk_in_description);
  await operator.locator("#desk-address").fill(cfg.walk_in_address);
  await operator.locator("#desk-send").click();
  await operator.locator("#desk-code").filter({ hasNotText: seen.code }).waitFor({ timeout: WAIT });
  seen.walk_in_code = (await operator.locator("#desk-code").textContent()).trim();
  seen.walk_in_sent_to = await operator.locator("#desk-sent-to").textContent();
  await operator.locator("#desk-open").click();
  await operator.locator("#report-status").waitFor({ timeout: WAIT });
  await operator.getByText(cfg.walk_in_address).first().waitFor({ timeout: WAIT });
  seen.walk_in_page = await operator.locator("#staff-report").textContent();
  await shot(operator, "d5-walk-in-report");

  // The desk at phone size, as a walk-in counter's tablet or phone shows it.
  const small = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const phone = watch(await small.newPage(), "operator-phone");
  await signIn(phone, cfg.operator);
  await phone.goto(`${base}/#/desk`);
  await phone.locator("#desk-map[data-ready]").waitFor({ timeout: WAIT });
  seen.phone_overflow = await phone.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth);
  await shot(phone, "d4-desk-phone");
}

async function follow(browser, seen) {
  // The resident: a new browser, nothing stored, only the link from the email.
  const device = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const resident = watch(await device.newPage(), "resident");
  await resident.goto(cfg.link);
  await resident.locator("#report-status").waitFor({ timeout: WAIT });
  await resident.locator("ol.stages li").first().waitFor({ timeout: WAIT });
  seen.address_bar = resident.url();
  seen.stages = await resident.locator("ol.stages li").allTextContents();
  seen.current_stage = await resident.locator("ol.stages li.current").allTextContents();
  seen.resident_status = await resident.locator("#report-status").getAttribute("data-status");
  seen.resident_text = await resident.locator("#report").textContent();
  await shot(resident, "f1-resident-link");
  const comment = resident.locator("#comment-text");
  await comment.waitFor({ timeout: WAIT });
  await comment.fill(cfg.resident_comment);
  await resident.locator("#send-comment").click();
  await resident.getByText(cfg.resident_comment).first().waitFor({ timeout: WAIT });
  await shot(resident, "f2-resident-commented");

  // The operator reads it on the report's page and answers.
  const office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const operator = watch(await office.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${cfg.code}`);
  await operator.locator("#report-status").waitFor({ timeout: WAIT });
  seen.staff_page = await operator.locator("#staff-report").textContent();
  await operator.locator("#response-text").fill(cfg.operator_answer);
  await operator.locator("#send-response").click();
  await operator.locator("#comments").getByText(cfg.operator_answer).waitFor({ timeout: WAIT });
  await shot(operator, "f3-operator-answered");

  // The resident's page, reloaded, shows the answer (the token stayed in this browser).
  await resident.bringToFront();
  await resident.goto(`${base}/#/track/${cfg.code}`);
  await resident.reload();
  await resident.getByText(cfg.operator_answer).first().waitFor({ timeout: WAIT });
  seen.resident_after = await resident.locator("#report").textContent();
  await shot(resident, "f4-resident-answer");
}

await drive(async (browser, seen) => {
  if (cfg.phase === "desk") await fileAtDesk(browser, seen);
  else await follow(browser, seen);
});
