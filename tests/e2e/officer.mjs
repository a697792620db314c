// Drives Debian's chromium through the field officers' part of the console against a running
// stack: an agency admin dispatches a report to an officer from the report page; the officer,
// on a phone, lands on its tasks, records a visit with a photo and resolves with an evidence
// photo; the admin sees the officer's times and the evidence flag. Prints one JSON line with
// what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E (test_console_officer.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const code = cfg.code;
  // The agency admin at a desk: the report page's dispatch form lists the agency's officers.
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const admin = watch(await desk.newPage(), "admin");
  await signIn(admin, cfg.admin);
  await admin.goto(`${base}/#/staff/report/${code}`);
  await admin.locator(`#officer-${cfg.officer_id}`).waitFor({ timeout: WAIT });
  seen.officers_offered = await admin.locator("#dispatch-officers label").allTextContents();
  await admin.locator(`#officer-${cfg.officer_id}`).check();
  await admin.locator("#act-dispatch").click();
  await admin.locator('#report-status[data-status="accepted"]').waitFor({ timeout: WAIT });
  await admin.locator(`li[data-officer="${cfg.officer_id}"]`).waitFor();
  await shot(admin, "o1-admin-dispatched");

  // The officer on a phone (390x844) lands on its tasks.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const officer = watch(await phone.newPage(), "officer");
  await signIn(officer, cfg.officer);
  await officer.waitForURL(/#\/tasks$/);
  const task = officer.locator(`article.task[data-code="${code}"]`);
  await task.waitFor({ timeout: WAIT });
  await task.locator(".photos img[src^='blob:']").waitFor({ timeout: WAIT });
  seen.task_text = await task.textContent();
  seen.map_link = await task.locator("a.map-link").getAttribute("href");
  seen.capture = await officer.locator(`#visit-photo-${code}`).getAttribute("capture");
  seen.unlabelled = await unlabelled(officer);
  seen.horizontal_scroll = await officer.evaluate(() =>
    document.documentElement.scrollWidth > window.innerWidth);
  await shot(officer, "o2-officer-tasks");

  // A visit: a progress note and a photo from the camera.
  await officer.locator(`#visit-note-${code}`).fill("Sudah dicek di lokasi, truk datang sore");
  await officer.locator(`#visit-photo-${code}`).setInputFiles(cfg.visit_photo);
  await officer.locator(`#visit-${code}`).click();
  await task.locator('[data-officer-status="visited"]').waitFor({ timeout: WAIT });
  seen.after_visit = await task.locator('[data-status]').first().getAttribute("data-status");
  await shot(officer, "o3-officer-visited");

  // Resolved with an evidence photo (taken days ago: the admin is asked to check it).
  await officer.locator(`#resolve-note-${code}`).fill("Sampah sudah diangkut semua");
  await officer.locator(`#resolve-photo-${code}`).setInputFiles(cfg.evidence);
  await officer.locator(`#resolve-${code}`).click();
  await task.locator('[data-officer-status="resolved"]').waitFor({ timeout: WAIT });
  seen.after_resolve = await task.locator('[data-status]').first().getAttribute("data-status");
  seen.flash = await officer.locator("#status").textContent();
  await shot(officer, "o4-officer-resolved");

  // The admin sees the officer's times and the flag on the evidence.
  await admin.reload();
  await admin.locator(`#evidence-flag-${cfg.agency}`).waitFor({ timeout: WAIT });
  seen.flag = await admin.locator(`#evidence-flag-${cfg.agency}`).textContent();
  seen.officer_line = await admin.locator(`li[data-officer="${cfg.officer_id}"]`).textContent();
  await shot(admin, "o5-admin-sees-flag");
});
