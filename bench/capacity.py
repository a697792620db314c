"""Capacity from a comparison run's CPU figures (bench/compare.py): reports/s per core of each
service, and the copies and KEDA queue thresholds two deployments need (deploy/README.md,
"Capacity").

    .venv/bin/python bench/capacity.py [bench/results/compare-<time>.json]

Reads the new tree's 16-client run (small photos) and its phone-photo run; prints a Markdown
table and writes bench/results/capacity.json. Defaults: the newest compare-*.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import RESULTS, write_result  # noqa: E402

# Processes of the bench's stack, by the service they belong to. The SMTP sink stands in for
# the mail provider and is left out.
SERVICES: dict[str, tuple[str, ...]] = {
    "gateway": ("aduan-gateway",),
    "intake (with the outbox relay)": ("aduan-intake", "aduan.infra.outbox", "aduan.outbox"),
    "verification worker": ("services.verification.worker",),
    "routing worker (with the SLA sweep)": ("services.routing.worker",
                                            "services.routing.sweep"),
    "notification worker (with webhooks)": ("services.notification.worker",
                                            "services.notification.dispatcher"),
    "LAPOR! exporter": ("services.lapor.exporter",),
    "database server (SecantusDB here)": ("secantusd (database)", "python"),
    "broker (RabbitMQ)": ("beam.smp",),
    "object store (SeaweedFS here)": ("weed",),
}
# Consumers scaled by KEDA on their queue (deploy/k8s/keda.yaml).
QUEUED = {"verification worker": "verification", "routing worker (with the SLA sweep)": "routing",
          "notification worker (with webhooks)": "notification"}

DAY_S = 86_400
# The two deployments sized (deploy/README.md says where the figures come from).
SCENARIOS = {
    "city of a million": {"reports_per_day": 300, "burst": 100, "peak_hour_factor": 3},
    "national (SP4N-LAPOR! scale)": {"reports_per_day": 1_500, "burst": 100,
                                     "peak_hour_factor": 3},
}
BUSY = 0.6  # a copy is planned at 60% of its core, leaving room for a spike
WAIT_S = 1.0  # messages waiting per copy: about this much of its work (submit -> forwarded 2 s)
MIN_COPIES = 2  # two of everything for availability


# Why each database command still runs for a report (`service command collection`).
WHY = {
    "intake insert reports": "the report itself, with its first event in the outbox (one write: "
                             "the event cannot be lost between the two)",
    "intake update reports": "published events taken out of the outbox: one update_many every "
                             "pull interval (2 s in production) for the reports published "
                             "before; it mostly changes nothing, as the consumer's own write "
                             "took the event out (aduan/infra/outbox.py)",
    "intake find reports": "the outbox relay's look-up of events left unpublished (not per "
                           "report: every 10 s while it finds none, every second while it "
                           "does), and an Idempotency-Key retry's answer",
    "verification find photo_hashes": "the duplicate look-up: one indexed $in over the hash "
                                      "chunks, read in one batch (no getMore); it finds the "
                                      "same photo sent again too, and a copy is stored without "
                                      "chunks, so copies do not grow it",
    "verification update photo_hashes": "remembering this photo's hashes for later look-ups "
                                        "(upsert keyed by photo id: a redelivery adds nothing)",
    "verification update reports": "the verdict (status, reasons, photo metadata, public copies, "
                                   "its event in the outbox, the event it handles taken out), "
                                   "pinned on the status it judged; plus its share of the "
                                   "outbox update_many",
    "verification find reports": "the possible duplicates by place: open reports of the "
                                 "category in the cells around it, one indexed $in "
                                 "(services/verification/places.py); plus the report itself "
                                 "when the event's copy may not be used (not its first "
                                 "delivery, or queued over 10 s) or a pinned write missed",
    "notification find reports": "the report when the event's copy may not be used (under a "
                                 "backlog of over 10 s)",
    "routing update reports": "forwarding (agency, due dates, its event, the verdict's event "
                              "taken out), pinned on status and followers; plus its share of "
                              "the outbox update_many",
    "routing find reports": "as verification's: only when the event's report is stale",
    "routing find cache_versions": "whether the catalogue (categories, agencies) changed, at most"
                                   " once a second per process",
    "notification insert deliveries": "claiming each message before it is sent (the once-only "
                                      "delivery log): one per message",
    "notification update deliveries": "the message's result (sent, failed, next attempt), "
                                      "written before the event is acknowledged; results that "
                                      "come while another write is on its way share one bulk "
                                      "command",
    "notification find deliveries": "the webhook dispatcher's look-up of due webhook deliveries "
                                    "(not per report: at once while it finds some, 1 s doubling "
                                    "to 5 s while it finds none), and a redelivered event's "
                                    "claim check",
    "notification find users": "the assigned officer's name for the forwarded message",
    "notification find push_subscriptions": "the report's Web Push devices: only for a report "
                                            "a device subscribed to (push_subscribed) and an "
                                            "event devices are told of",
    "notification find cache_versions": "whether webhook subscriptions changed, at most once a "
                                        "second per process",
}


def remaining_commands(commands: dict[str, float]) -> str:
    lines = ["| command (service, name, collection) | per report | why |", "|---|---:|---|"]
    for key, count in commands.items():
        if count >= 0.01:
            lines.append(f"| {key} | {count} | {WHY.get(key, '?')} |")
    return "\n".join(lines)


def per_service(by_role: dict[str, float]) -> dict[str, float]:
    return {service: round(sum(by_role.get(role, 0.0) for role in roles), 1)
            for service, roles in SERVICES.items()}


def peak_rate(scenario: dict[str, float]) -> float:
    """Reports per second in the busiest hour of a burst."""
    return (scenario["reports_per_day"] * scenario["burst"] * scenario["peak_hour_factor"]
            / DAY_S)


def plan(ms: dict[str, float]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for service, cost in ms.items():
        row: dict[str, Any] = {"cpu_ms_per_report": cost,
                               "reports_per_s_per_core": round(1000 / cost, 1) if cost else None,
                               "two_copies_carry_per_s": round(MIN_COPIES * BUSY * 1000 / cost, 1)
                               if cost else None}
        for name, scenario in SCENARIOS.items():
            cores = peak_rate(scenario) * cost / 1000
            row[name] = {"cores_at_peak": round(cores, 2),
                         "copies": max(MIN_COPIES, math.ceil(cores / BUSY))}
        if service in QUEUED and cost:
            row["keda_messages_per_copy"] = max(5, round(WAIT_S * BUSY * 1000 / cost))
        rows[service] = row
    return rows


def table(rows: dict[str, Any], title: str) -> str:
    names = list(SCENARIOS)
    lines = [f"{title}", "",
             "| service | CPU ms / report | reports/s per core | two copies carry (at 60%) | "
             + " | ".join(f"{n}: cores at peak (copies)" for n in names) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(names)]
    for service, row in rows.items():
        cells = [f"{row[n]['cores_at_peak']} ({row[n]['copies']})" for n in names]
        lines.append(f"| {service} | {row['cpu_ms_per_report']} | "
                     f"{row['reports_per_s_per_core']} | {row['two_copies_carry_per_s']} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compare", nargs="?", type=Path, default=None)
    args = parser.parse_args()
    path = args.compare or max(RESULTS.glob("compare-*.json"))
    result = json.loads(path.read_text())
    runs = result["runs"]
    out: dict[str, Any] = {"from": str(path), "scenarios": {
        name: {**s, "peak_reports_per_s": round(peak_rate(s), 2)}
        for name, s in SCENARIOS.items()}}
    for part, title in (("new-16", "Small photos (640x480), 16 clients"),
                        ("new-phone", "Phone photos (12 MP, 3.8-4.0 MB), 16 clients")):
        if part not in runs:
            continue
        rows = plan(per_service(runs[part]["cpu_per_report"]["by_role_ms"]))
        out[part] = rows
        print(table(rows, title) + "\n")
        keda = {s: r["keda_messages_per_copy"] for s, r in rows.items()
                if "keda_messages_per_copy" in r}
        print(f"KEDA messages waiting per copy ({part}): {keda}\n")
    # The commands at the half-saturation rate (no backlog), else the 16-client run's.
    part = "new-half" if "new-half" in runs else "new-16" if "new-16" in runs else None
    if part:
        commands = runs[part]["database_commands_per_report"]
        out["commands_per_report"] = {"run": part, **commands}
        print(f"Database commands per report ({part}): {commands['total']}\n")
        print(remaining_commands(commands["by_command"]) + "\n")
    for name, scenario in out["scenarios"].items():
        print(f"{name}: {scenario['peak_reports_per_s']} reports/s at the peak hour of a burst")
    print(f"written to {write_result('capacity', out)}")


if __name__ == "__main__":
    main()
