"""Where a webhook may be sent: the platform's rule for URLs someone else chose
(`aduan/infra/public_addresses.py`: public addresses only, every address checked, the attempt
pinned to them), with the webhook settings, used at registration and before every attempt.

`webhook_private_hosts` names hosts (exactly as written in the URL) that may resolve to private
addresses (empty in production, test stacks name their loopback receivers there);
`webhook_allowed_hosts`, when set, is the only hosts webhooks may go to (checked before any
look-up). Refusals are `webhook_address_not_allowed`, `webhook_host_not_allowed` and
`webhook_host_unresolvable`.
"""

from __future__ import annotations

from aduan.infra import public_addresses
from aduan.infra.config import Settings
from aduan.infra.public_addresses import HostRule, Target


def webhook_rule(settings: Settings) -> HostRule:
    return HostRule("webhook", "Webhooks", settings.webhook_private_hosts,
                    settings.webhook_allowed_hosts)


def resolve_target(settings: Settings, url: str) -> Target:
    """The URL's host and its checked addresses; TargetRefused when the rule refuses it."""
    return public_addresses.resolve_target(webhook_rule(settings), url)
