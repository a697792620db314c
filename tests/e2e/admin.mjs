// Drives Debian's chromium through the sysadmin's staff directory (#/admin) against a running
// stack: adds a head of agency with contacts (a bad phone number refused first), edits the
// email, and the new head signs in, lands on the leaders' page and changes its own phone. Prints one JSON line with
// what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E (test_console_admin.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await context.newPage(), "admin");
  await signIn(page, cfg.sysadmin);
  seen.nav = await page.locator("#nav a").evaluateAll((links) => links.map((a) =>
    a.getAttribute("href")));
  await page.goto(`${base}/#/admin`);
  await page.locator("#users").waitFor({ timeout: WAIT });
  seen.unlabelled = await page.evaluate(() => [...document.querySelectorAll(
    "main input, main select, main textarea")].filter((c) => !(c.labels && c.labels.length))
    .map((c) => c.name || c.id));

  const form = page.locator("#add-user-form");
  await form.locator("[name=username]").fill(cfg.head);
  await form.locator("[name=password]").fill(cfg.password);
  await form.locator("[name=role]").selectOption("agency_head");
  await form.locator("[name=agency]").selectOption(cfg.agency);
  await form.locator("[name=name]").fill("Kepala Dinas Uji");
  await form.locator("[name=email]").fill("kepala.uji@padang.example.go.id");
  await form.locator("[name=phone]").fill("bukan nomor");
  await form.locator("[name=language]").selectOption("en");
  await page.locator("#add-user").click();
  await page.locator("#status.error").waitFor({ timeout: WAIT });
  seen.refusal = await page.locator("#status").textContent();
  await shot(page, "a1-bad-phone-refused");

  await form.locator("[name=phone]").fill("0812-3456-7890");
  await page.locator("#add-user").click();
  const row = page.locator(`#users tr[data-user="${cfg.head}"]`);
  await row.waitFor({ timeout: WAIT });
  seen.row = await row.locator("td").allTextContents();
  await shot(page, "a2-head-added");

  await row.locator("button.edit").click();
  const edit = page.locator(`form.edit-user[data-user="${cfg.head}"]`);
  await edit.locator("[name=email]").fill("Kepala.Baru@Padang.Example.go.id");
  await edit.locator("button[type=submit]").click();
  await page.locator(`#users tr[data-user="${cfg.head}"] td:has-text("Kepala.Baru@")`)
    .waitFor({ timeout: WAIT });
  seen.edited = await page.locator(`#users tr[data-user="${cfg.head}"] td`).allTextContents();
  await shot(page, "a3-email-edited");

  await page.locator("#logout").click();
  await signIn(page, cfg.head);
  await page.waitForURL(/#\/leader$/, { timeout: WAIT });
  seen.head_nav = await page.locator("#nav a").evaluateAll((links) => links.map((a) =>
    a.getAttribute("href")));
  await shot(page, "a4-head-lands-on-leader-page");

  // The head keeps its own number up to date on #/me.
  await page.locator('#nav a[href="#/me"]').click();
  const mine = page.locator("#me-form");
  await mine.waitFor({ timeout: WAIT });
  await mine.locator("[name=phone]").fill("+62 813 1111 2222");
  await page.locator("#save-me").click();
  await page.locator("#status", { hasText: /Tersimpan|Saved/ }).waitFor({ timeout: WAIT });
  seen.own_phone = await mine.locator("[name=phone]").inputValue();
  await shot(page, "a5-head-edits-own-phone");
});
