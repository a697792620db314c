// Drives Debian's chromium through the console's SP4N-LAPOR! parts against a running stack:
// - the city's sysadmin opens "SP4N-LAPOR!" from the navigation (#/lapor): the connector's
//   state per city and the topic mapping; adds a topic (first with itself as its parent:
//   refused, said in Bahasa Indonesia), maps it to another category from its row, removes it;
// - an operator reads the same page without edit controls, then opens a report imported from
//   LAPOR! (its sync card: Tracking ID, direction, state, follow-ups sent), and forwards another
//   to the vertical body SP4N-LAPOR from the report's actions: its card appears, in both
//   languages.
// Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E
// (test_console_lapor.py).
import { base, cfg, drive, shot, signIn, unlabelled, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await admin.newPage(), "sysadmin");
  await signIn(page, cfg.sysadmin);
  seen.sysadmin_nav = await page.locator("#nav a").allTextContents();
  await page.locator('#nav a[href="#/lapor"]').click();
  await page.locator("#lapor-topics[data-ready]").waitFor({ timeout: WAIT });
  seen.heading = await page.locator("main h1").first().textContent();
  seen.status_rows = await page.locator("#lapor-status tbody tr").evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
  seen.fallback = await page.locator("#lapor-fallback").textContent();
  seen.seeded_row = await page.locator('#topics tr[data-topic="201"] td').first().textContent();
  seen.seeded_choice = await page.locator('#topics tr[data-topic="201"] select').inputValue();
  seen.unlabelled = await unlabelled(page);
  await shot(page, "l1-mapping");

  const form = page.locator("#lapor-add-form");
  await form.locator("#lapor-new-id").fill(cfg.topic);
  await form.locator("#lapor-new-name").fill(cfg.topic_name);
  await form.locator("#lapor-new-parent").fill(cfg.topic);
  await form.locator("#lapor-new-category").selectOption(cfg.first_category);
  await page.locator("#lapor-add").click();
  await page.locator("#status.error").waitFor({ timeout: WAIT });
  seen.refusal = await page.locator("#status").textContent();
  await shot(page, "l2-own-parent-refused");

  await form.locator("#lapor-new-parent").fill(cfg.parent);
  await page.locator("#lapor-add").click();
  const row = page.locator(`#topics tr[data-topic="${cfg.topic}"]`);
  await row.waitFor({ timeout: WAIT });
  seen.added_row = await row.locator("td").evaluateAll((cells) =>
    cells.slice(0, 3).map((td) => td.textContent));
  seen.added_choice = await row.locator("select").inputValue();
  await shot(page, "l3-topic-added");

  await row.locator("select").selectOption(cfg.second_category);
  await row.locator("button.save").click();
  await page.locator("#status", { hasText: cfg.topic }).waitFor({ timeout: WAIT });
  seen.changed_choice = await page.locator(`#topics tr[data-topic="${cfg.topic}"] select`)
    .inputValue();
  seen.after_change = await page.locator("#status").textContent();
  await shot(page, "l4-topic-remapped");

  await page.locator(`#topics tr[data-topic="${cfg.removed}"] button.remove`).click();
  await page.locator(`#topics tr[data-topic="${cfg.removed}"]`).waitFor({ state: "detached",
    timeout: WAIT });
  seen.after_remove = await page.locator("#status").textContent();
  await shot(page, "l5-topic-removed");

  const office = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const operator = watch(await office.newPage(), "operator");
  await signIn(operator, cfg.operator);
  seen.operator_nav = await operator.locator("#nav a").allTextContents();
  await operator.goto(`${base}/#/lapor`);
  await operator.locator("#lapor-topics[data-ready]").waitFor({ timeout: WAIT });
  seen.operator_controls = await operator.locator("#lapor-topics select, #lapor-add-form")
    .count();
  seen.operator_mapping = await operator.locator('#topics tr[data-topic="201"] td').allTextContents();

  await operator.goto(`${base}/#/staff/report/${cfg.imported}`);
  await operator.locator("#lapor-sync[data-ready]").waitFor({ timeout: WAIT });
  seen.imported_card = await operator.locator("#lapor-sync").innerText();
  await shot(operator, "l6-imported-report");

  // Outside the city's authority: the operator forwards the report to SP4N-LAPOR from its page.
  await operator.goto(`${base}/#/staff/report/${cfg.forwarded}`);
  await operator.locator("#agency-SP4N-LAPOR").waitFor({ timeout: WAIT });
  seen.cards_before_forward = await operator.locator("#lapor-sync").count();
  seen.lapor_choice = await operator.locator('label[for="agency-SP4N-LAPOR"]').textContent();
  await operator.locator("#agency-SP4N-LAPOR").check();
  await operator.locator("#action-note").fill(cfg.forward_note);
  await operator.locator("#act-forward").click();
  await operator.locator("#lapor-sync[data-ready]").waitFor({ timeout: WAIT });
  seen.forwarded_status = await operator.locator("#report-status").getAttribute("data-status");
  seen.forwarded_card = await operator.locator("#lapor-sync").innerText();
  await shot(operator, "l6-forwarded-report");
  await operator.locator("#lang").click();
  await operator.locator("#lapor-sync[data-ready]").waitFor({ timeout: WAIT });
  await operator.locator("#lapor-sync", { hasText: "forwarded to LAPOR!" })
    .waitFor({ timeout: WAIT });
  seen.forwarded_card_en = await operator.locator("#lapor-sync").innerText();
  await shot(operator, "l7-forwarded-report-en");
  // A report not linked to LAPOR! has no card.
  await operator.goto(`${base}/#/staff/report/${cfg.unlinked}`);
  await operator.locator("#report-status").waitFor({ timeout: WAIT });
  seen.unlinked_cards = await operator.locator("#lapor-sync").count();
});
