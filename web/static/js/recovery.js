// The reporter on another device: a one-time code sent to the email or phone they gave with the
// report (POST /tracking/recover), typed here (POST /tracking/verify), gives back their token,
// kept as a report filed from this browser would be. The server answers the first step the same
// whether or not the contact matched, so the page says only "if it matches, a code was sent".
import { call, rememberReport } from "./api.js";
import { busy, field, flash, h } from "./dom.js";
import { t } from "./i18n.js";

export function recoveryBox(code, reload) {
  const contact = h("input", { type: "text", id: "recover-contact", maxlength: "254",
    autocomplete: "email" });
  const ask = h("button", { type: "button", id: "recover-send", class: "secondary" },
    t("recover_send"));
  const otp = h("input", { type: "text", id: "recover-otp", inputmode: "numeric",
    autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: "6" });
  const check = h("button", { type: "button", id: "recover-check" }, t("recover_check"));
  const second = h("div", { id: "recover-step2", hidden: true },
    field(t("recover_otp"), otp), check);
  ask.addEventListener("click", () => busy(ask, async () => {
    if (!contact.value.trim()) { flash(t("recover_contact_needed"), true); return; }
    await call("/tracking/recover", { method: "POST",
      json: { code, contact: contact.value.trim() } });
    flash(t("recover_sent"));
    second.hidden = false;
    otp.focus();
  }));
  check.addEventListener("click", () => busy(check, async () => {
    const answer = await call("/tracking/verify", { method: "POST",
      json: { code, otp: otp.value.trim() } });
    rememberReport(answer.code, answer.token);
    // The same reporter's other reports (same verified contact), listed on "My reports".
    for (const other of answer.others || []) rememberReport(other.code, other.token, "recovered");
    // Now this device's reports too (push.js registers them while notifications are on).
    for (const code of [answer.code, ...(answer.others || []).map((o) => o.code)]) {
      window.dispatchEvent(new CustomEvent("aduan:mine", { detail: { code } }));
    }
    flash(t("recover_done"));
    reload();
  }));
  return h("section", { class: "card", id: "recover", "aria-labelledby": "recover-h" },
    h("h2", { id: "recover-h" }, t("recover_title")),
    h("p", { class: "muted" }, t("recover_hint")),
    field(t("recover_contact"), contact), ask, second);
}
