// Drives Debian's chromium through the resident's form with a report type (issue 18, section
// 1): the form asks for a photo and a place only where the category asks them of the chosen
// type; a resident asks for information without either, and the operator who reviews it reads
// its type and "no photo" on the report page. Prints one JSON line with what it saw; any
// failure exits non-zero. Config: JSON in ADUAN_E2E (test_console_report_types.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  // No location permission: the resident gives no place.
  const phone = await browser.newContext({ viewport: { width: 390, height: 800 } });
  const resident = watch(await phone.newPage(), "resident");
  await resident.goto(`${base}/`);
  await resident.getByLabel("Kategori").locator("option[value=waste]").waitFor({
    state: "attached", timeout: WAIT });
  const labels = async () => ({
    photo: await resident.locator("#photo-hint").isHidden()
      ? "optional" : "required",
    photo_label: (await resident.locator("input[name=photo]").evaluate(
      (input) => input.labels[0].textContent)).trim(),
    location_label: (await resident.locator("#location-label").textContent()).trim(),
    categories: await resident.getByLabel("Kategori").locator("option").evaluateAll(
      (options) => options.map((o) => o.value).filter(Boolean)),
  });
  await resident.getByLabel("Kategori").selectOption("waste");
  seen.complaint_waste = await labels();
  await resident.getByLabel("Jenis laporan").selectOption("information_request");
  seen.request = await labels();
  await resident.getByLabel("Kategori").selectOption("permits");
  await resident.getByLabel("Uraian").fill(cfg.description);
  seen.unlabelled = await unlabelled(resident);
  await shot(resident, "t1-information-request-form");
  await resident.locator("#send").click();
  await resident.waitForURL(/#\/track\//);
  seen.code = (await resident.locator("#report-h").textContent()).trim();
  await shot(resident, "t2-information-request-tracked");

  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${seen.code}`);
  const kind = operator.locator("#main .report-type").first();
  await kind.waitFor({ timeout: WAIT });
  seen.staff_type = (await kind.textContent()).trim();
  await shot(operator, "t3-operator-reads-type-and-no-photo");
  await operator.goto(`${base}/#/operator/needs_review`);
  const row = operator.locator(`tr[data-code="${seen.code}"]`);
  await row.waitFor({ timeout: WAIT });
  seen.queue_row = (await row.textContent()).trim();
  await shot(operator, "t4-queue-no-photo");
});
