// Drives Debian's chromium through the web console against a running stack: a resident submits
// from a phone, an operator forwards, an agency resolves with evidence, the resident sees it
// done and confirms, a leader's chart counts it. Prints one JSON line with what it saw; any
// failure exits non-zero. Config comes as JSON in ADUAN_E2E (see tests/e2e/test_console.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

async function statusIs(page, status) {
  await page.locator(`#report-status[data-status="${status}"]`).waitFor({ timeout: WAIT });
}

// Reloads a list page until the report's row shows up (the workers move it asynchronously).
async function rowAppears(page, urls, code) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    for (const url of urls) {
      await page.goto(url);
      await page.locator("table, p.muted").first().waitFor();
      if (await page.locator(`tr[data-code="${code}"]`).count()) return url;
    }
    if (Date.now() > deadline) throw new Error(`${code} never appeared at ${urls}`);
    await page.waitForTimeout(1000);
  }
}

await drive(async (browser, seen) => {
  // The resident, on a small phone screen, in Padang.
  const phone = await browser.newContext({
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    geolocation: { latitude: cfg.lat, longitude: cfg.lon, accuracy: 8 },
    permissions: ["geolocation"],
  });
  const resident = watch(await phone.newPage(), "resident");
  await resident.goto(`${base}/`);
  await resident.locator("#where").filter({ hasText: /Lokasi ditemukan/ }).waitFor();
  await resident.getByLabel("Kategori").selectOption(cfg.category);
  await resident.getByLabel("Foto (kamera)").setInputFiles(cfg.photo);
  await resident.getByLabel("Uraian").fill(cfg.description);
  seen.capture = await resident.locator('input[type=file]').getAttribute("capture");
  seen.unlabelled = { submit: await unlabelled(resident) };
  await shot(resident, "01-resident-submit");
  await resident.locator("#send").click();
  await resident.waitForURL(/#\/track\//);
  const code = (await resident.locator("#report-h").textContent()).trim();
  seen.code = code;
  seen.token_kept = await resident.evaluate((c) =>
    Boolean(JSON.parse(localStorage.getItem("aduan.reports") || "{}")[c]), code);
  await shot(resident, "02-resident-tracking");

  // English switch.
  await resident.locator("#lang").click();
  await resident.getByRole("heading", { name: "Track a report" }).waitFor();
  await resident.locator("#report-h").waitFor();
  await shot(resident, "02b-resident-tracking-english");
  await resident.locator("#lang").click();

  // A wrong code is a clear message, not a blank page.
  const stranger = watch(await phone.newPage(), "stranger");
  await stranger.goto(`${base}/#/track/PDG-1999-999999`);
  await stranger.locator("#status.error").waitFor();
  seen.unknown_code_message = await stranger.locator("#status").textContent();
  await stranger.close();

  // The operator: a wrong password first, then the queue, the report and the forward.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const operator = watch(await desk.newPage(), "operator");
  await operator.goto(`${base}/#/staff`);
  await operator.getByLabel("Nama pengguna").fill(cfg.operator);
  await operator.getByLabel("Kata sandi").fill("salah-sekali");
  await operator.locator("#login").click();
  await operator.locator("#status.error").waitFor();
  seen.bad_login_message = await operator.locator("#status").textContent();
  await signIn(operator, cfg.operator);
  // Verified reports wait "to forward"; a photo the checks doubt waits in "needs review".
  seen.operator_queue = await rowAppears(operator, [`${base}/#/operator/to_forward`,
    `${base}/#/operator/needs_review`], code);
  await shot(operator, "03-operator-queue");
  await operator.locator(`tr[data-code="${code}"] a`).click();
  await operator.locator("#verification").waitFor();
  seen.unlabelled.operator_report = await unlabelled(operator);
  await operator.locator(`#agency-${cfg.agency}`).check();
  await operator.getByLabel("Catatan").fill("Diteruskan ke DLH untuk ditangani");
  await operator.locator("#act-forward").click();
  await statusIs(operator, "forwarded");
  await shot(operator, "04-operator-forwarded");

  // A doubtful photo waits in "needs review": the operator reads the reasons and overrides.
  await rowAppears(operator, [`${base}/#/operator/needs_review`], cfg.doubtful);
  await operator.locator(`tr[data-code="${cfg.doubtful}"] a`).click();
  await operator.locator("#verification").filter({ hasText: "Foto lama" }).waitFor();
  seen.doubtful_reasons = await operator.locator("#verification").textContent();
  await operator.getByLabel("Catatan").fill("Foto diambil di lokasi, hanya terlambat dikirim");
  await operator.locator("#act-verify").click();
  await statusIs(operator, "verified");
  await shot(operator, "04b-operator-verdict-override");

  // The agency: its inbox, accept, start, resolve with an evidence photo.
  const agencyDesk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const agency = watch(await agencyDesk.newPage(), "agency");
  await signIn(agency, cfg.agency_user);
  await rowAppears(agency, [`${base}/#/agency`], code);
  seen.agency_sla_summary = await agency.locator("#sla-summary").textContent();
  await shot(agency, "05-agency-inbox");
  await agency.locator(`tr[data-code="${code}"] a`).click();
  await agency.locator("#act-accept").click();
  await statusIs(agency, "accepted");
  await agency.getByLabel("Tanggapan untuk pelapor").fill("Petugas kebersihan menuju lokasi");
  await agency.locator("#send-response").click();
  await agency.locator("#comments").filter({ hasText: "Petugas kebersihan" }).waitFor();
  seen.unlabelled.agency_report = await unlabelled(agency);
  await agency.locator("#act-start").click();
  await statusIs(agency, "in_progress");
  await agency.locator("#act-resolve").click();  // no note: refused in the page
  await agency.locator("#status.error").waitFor();
  await agency.getByLabel("Catatan internal").fill("Truk DLH nomor 7, sopir lembur");
  await agency.getByLabel("Tanggapan publik").fill("Sampah sudah diangkut, terima kasih");
  seen.agency_labels = await agency.locator("#actions").textContent();
  await agency.getByLabel("Foto bukti penyelesaian").setInputFiles(cfg.evidence);
  await agency.locator("#act-resolve").click();
  await statusIs(agency, "resolved");
  await shot(agency, "06-agency-resolved");

  // The resident sees it done, with the evidence, confirms and rates.
  await resident.goto(`${base}/#/track/${code}`);
  await resident.reload();
  await statusIs(resident, "resolved");
  await resident.locator("#evidence img").first().waitFor();
  seen.resident_responses = await resident.locator("#responses").textContent();
  seen.resident_stage = (await resident.locator(".stages li.current").textContent()).trim();
  // The page's own words (issue 18: a stray "null" was printed below the history).
  seen.tracking_text = await resident.locator("#main").innerText();
  seen.resident_created = await resident.locator("#report-created").textContent();
  await shot(resident, "07-resident-done");

  // Anyone else who may see it (no token, a browser in another time zone): the same stage bar,
  // times in Padang's zone (WIB), and the way back in for a reporter on another device.
  const elsewhere = await browser.newContext({ viewport: { width: 1024, height: 800 },
    timezoneId: "Asia/Jayapura", locale: "id-ID" });
  const visitor = watch(await elsewhere.newPage(), "visitor");
  await visitor.goto(`${base}/#/track/${code}`);
  await statusIs(visitor, "resolved");
  await visitor.locator("#recover").waitFor();
  seen.public_stage = (await visitor.locator(".stages li.current").textContent()).trim();
  seen.public_created = await visitor.locator("#report-created").textContent();
  seen.public_tracking_text = await visitor.locator("#main").innerText();
  await shot(visitor, "07b-public-tracking");
  await elsewhere.close();
  await resident.locator("#confirm").click();
  await statusIs(resident, "closed");
  await resident.locator("#score").selectOption("5");
  await resident.locator("#rate").click();
  await resident.getByText("Nilai Anda: 5/5").waitFor();
  await shot(resident, "08-resident-rated");

  // The leader's figures count it.
  const leaderDesk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const leader = watch(await leaderDesk.newPage(), "leader");
  // Signed in with the keyboard only.
  await leader.goto(`${base}/#/staff`);
  await leader.getByLabel("Nama pengguna").focus();
  await leader.keyboard.type(cfg.leader);
  await leader.keyboard.press("Tab");
  await leader.keyboard.type(cfg.password);
  await leader.keyboard.press("Enter");
  await leader.locator("#logout").waitFor();
  await leader.goto(`${base}/#/leader`);
  await leader.locator("#stats-total").waitFor({ timeout: WAIT });
  await leader.locator("#chart-stage").waitFor();
  seen.unlabelled.leader = await unlabelled(leader);
  const stageRows = await leader.locator("#table-stage tbody tr").evaluateAll((rows) =>
    rows.map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent)]));
  seen.leader_stage_counts = Object.fromEntries(stageRows);
  seen.leader_total = Number(await leader.locator("#stats-total").textContent());
  seen.leader_agencies = await leader.locator("#table-agency tbody th").allTextContents();
  seen.chart_drawn = await leader.locator("#chart-stage").evaluate((c) => c.width > 0
    && Boolean(window.Chart && window.Chart.getChart(c)));
  const download = leader.waitForEvent("download");
  await leader.locator("#csv-agencies").click();
  const file = await download;
  seen.csv_name = file.suggestedFilename();
  await leader.waitForTimeout(300);
  await shot(leader, "09-leader-dashboard");
});
