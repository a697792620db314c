// Drives Debian's chromium through the escalation part of the console against a running stack:
// an operator escalates a report from its page with a note; the head of the agency holding it
// follows the "Eskalasi" link of the navigation to its escalations list and opens the report
// from it. Prints one JSON line with what it saw; any failure exits non-zero. Config: JSON in
// ADUAN_E2E (test_console_escalation.py).
import { base, cfg, drive, shot, signIn, WAIT, watch } from "./driver.mjs";

await drive(async (browser, seen) => {
  const code = cfg.code;
  // The operator: the report page offers "escalate" (the server's allowed actions).
  const desk = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const operator = watch(await desk.newPage(), "operator");
  await signIn(operator, cfg.operator);
  await operator.goto(`${base}/#/staff/report/${code}`);
  await operator.locator("#act-escalate").waitFor({ timeout: WAIT });
  seen.escalate_label = await operator.locator("#act-escalate").textContent();
  seen.operator_nav = await operator.locator("#nav a").allTextContents();
  await operator.locator("#action-note").fill(cfg.note);
  await operator.locator("#act-escalate").click();
  await operator.locator("#report-escalations li").first().waitFor({ timeout: WAIT });
  seen.report_escalations = await operator.locator("#report-escalations li").allTextContents();
  seen.status_after = await operator.locator("#report-status").getAttribute("data-status");
  await shot(operator, "e1-operator-escalated");

  // The head of the agency: from the navigation to its escalations, then to the report.
  const office = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const head = watch(await office.newPage(), "head");
  await signIn(head, cfg.head);
  await head.locator('#nav a[href="#/escalations"]').click();
  const row = head.locator(`#escalations tr[data-code="${code}"]`);
  await row.waitFor({ timeout: WAIT });
  seen.head_nav = await head.locator("#nav a").allTextContents();
  seen.heading = await head.locator("main h1").first().textContent();
  seen.row = await row.locator("td").allTextContents();
  seen.link = await row.locator("a").getAttribute("href");
  await shot(head, "e2-head-escalations");
  await row.locator("a").click();
  await head.locator("#report-status").waitFor({ timeout: WAIT });
  seen.head_report_status = await head.locator("#report-status").getAttribute("data-status");
  seen.head_actions = await head.locator("#actions").count();
  await shot(head, "e3-head-report");
});
