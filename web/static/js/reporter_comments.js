// The reporter's side of the conversation on the tracking page: their own comments and a form
// to write one (POST /reports/<code>/comments with their token), shown only where this browser
// holds the token. Staff's answers are the page's "Tanggapan"; the notification service tells
// the agencies holding the report (or the operators) of the comment.
import { call, reporterToken } from "./api.js";
import { busy, field, flash, h } from "./dom.js";
import { t, when } from "./i18n.js";

export function reporterComments(code, view, reload) {
  if (!reporterToken(code)) return null;
  const mine = (view.comments || []).filter((c) => c.by === "reporter");
  const text = h("textarea", { id: "comment-text", maxlength: "2000" });
  const send = h("button", { type: "button", id: "send-comment" }, t("send_comment"));
  send.addEventListener("click", () => busy(send, async () => {
    if (!text.value.trim()) throw new Error(t("comment_required"));
    await call(`/reports/${encodeURIComponent(code)}/comments`,
      { method: "POST", json: { text: text.value.trim() }, reporter: code });
    flash(t("comment_sent"));
    reload();
  }));
  return h("section", { class: "card", id: "my-comments", "aria-labelledby": "my-comments-h" },
    h("h2", { id: "my-comments-h" }, t("my_comments")),
    mine.length ? h("ul", {}, ...mine.map((c) => h("li", {},
      h("span", { class: "muted" }, when(c.at, view.city)), h("div", {}, c.text)))) : null,
    field(t("comment_text"), text), send);
}
