"""The bot's replies (aduan.domain.conversation: text, list, buttons) as the Graph API's
message bodies. The calls themselves go through the one Graph API client,
aduan/infra/whatsapp_graph.py, which the notifier uses too."""

from __future__ import annotations

from typing import Any


def graph_message(reply: dict[str, Any]) -> dict[str, Any]:
    """A bot reply (aduan.domain.conversation: text, list, buttons) as the Graph API's body."""
    kind = reply["kind"]
    if kind == "list":
        return {"type": "interactive", "interactive": {
            "type": "list", "body": {"text": reply["body"][:1024]},
            "action": {"button": reply["button"][:20], "sections": [{
                "title": reply["button"][:24],
                "rows": [{"id": r["id"], "title": r["title"]} for r in reply["rows"]]}]}}}
    if kind == "buttons":
        return {"type": "interactive", "interactive": {
            "type": "button", "body": {"text": reply["body"][:1024]},
            "action": {"buttons": [{"type": "reply", "reply": b}
                                   for b in reply["buttons"]]}}}
    return {"type": "text", "text": {"body": reply["body"][:4096], "preview_url": False}}
