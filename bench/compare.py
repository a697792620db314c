"""Cost per report, an earlier main against this tree, back to back on one machine (issue 21).

Runs the same load client (this tree's bench/load.py) against both stacks: the earlier commit's
from a `git worktree` (default b16b05f in /tmp/aduan-old; its modules come first on PYTHONPATH,
so its own devstack starts its own services), then this tree's. One client for both keeps the
load identical: the same photos (made once here, as files), the same report bodies and places,
the same counting of commands and CPU. Each tree's run, in turn:
- closed loop with 16 and with 32 clients: saturation throughput, database commands per report
  (by service and by command), CPU ms per report by process (database server and broker
  included), peak RSS;
- open loop at half of the new tree's saturation rate: submit p95, submit -> forwarded p95;
- phone-size photos (12 MP camera JPEGs of 3-4 MB, GPS and time rewritten), closed loop, with
  the verification worker's and the upload's shares of the CPU;
then this tree alone with two copies of each worker (the CPU per report split between the
copies, every report's history still in order), and this tree's verification of one such
photo against a plain full decode (bench/verify_photo.py). Lost reports are counted in every run.

    .venv/bin/python bench/compare.py [--old b16b05f] [--seconds 30] [--slot 9]

Prints the summary and writes bench/results/compare-<time>.json with every run's full result.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from common import write_result  # noqa: E402

WORK = ROOT / ".run" / "compare"
PYTHON = sys.executable


def ensure_worktree(commit: str, folder: Path) -> str:
    """The earlier tree, checked out once; returns its full commit id."""
    if not (folder / ".git").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder),
                        commit], check=True)
    found = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.strip()
    wanted = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], check=True,
                            capture_output=True, text=True).stdout.strip()
    if found != wanted:
        raise SystemExit(f"{folder} holds {found}, not {commit}")
    return found


def small_photos(folder: Path, count: int) -> Path:
    """The load bench's usual photos (640x480 camera JPEGs, each different), as files."""
    from photo_factory import varied_padang_photos

    if len(list(folder.glob("*.jpg"))) < count:
        folder.mkdir(parents=True, exist_ok=True)
        for number, data in enumerate(varied_padang_photos(count)):
            (folder / f"{number:05d}.jpg").write_bytes(data)
    return folder


def phone_photos(folder: Path, count: int) -> Path:
    """12 MP camera JPEGs of 3-4 MB: a sample photo upscaled with sensor-like noise (as
    bench/verify_photo.py makes it), blocks painted over each so no two look alike, the
    camera's EXIF with GPS inside Padang and a capture time 20 minutes ago."""
    import piexif
    from photo_factory import INSIDE, PHOTOS, camera_photo
    from PIL import Image, ImageChops, ImageDraw

    if len(list(folder.glob("*.jpg"))) >= count:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jpg"):
        old.unlink()
    source = Image.open(PHOTOS / "DSCN0010.jpg").convert("RGB")
    base = source.resize((4000, 3000), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((4000, 3000), 5).convert("RGB")
    rng = random.Random(7)
    for number in range(count):
        taken = datetime.now(UTC) - timedelta(minutes=20)
        exif = piexif.load(camera_photo(*INSIDE["padang"], taken))
        exif["0th"][piexif.ImageIFD.ImageWidth] = 4000
        exif["0th"][piexif.ImageIFD.ImageLength] = 3000
        picture = base.copy()
        draw = ImageDraw.Draw(picture)
        for _ in range(12):
            x, y = rng.randrange(4000), rng.randrange(3000)
            w, h = rng.randrange(200, 1400), rng.randrange(200, 1000)
            draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in "rgb"))
        # Sensor noise over everything, the blocks too: a phone's file size (3-4 MB).
        picture = ImageChops.add(picture, noise, scale=1.0, offset=-128)
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=92, exif=piexif.dump(exif))
        (folder / f"{number:05d}.jpg").write_bytes(out.getvalue())
    return folder


def refresh_capture_times(folder: Path) -> None:
    """Phone photos made in an earlier session would be too old for verification's freshness
    check: their capture time is set again to 20 minutes ago before each use."""
    import piexif

    stamp = (datetime.now(UTC) + timedelta(hours=7) - timedelta(minutes=20)).strftime(
        "%Y:%m:%d %H:%M:%S").encode()
    for path in sorted(folder.glob("*.jpg")):
        exif = piexif.load(str(path))
        exif["Exif"][piexif.ExifIFD.DateTimeOriginal] = stamp
        piexif.insert(piexif.dump(exif), str(path))


def run_load(tree: Path | None, name: str, arguments: list[str], slot: int) -> dict[str, Any]:
    """bench/load.py of this tree against `tree`'s stack (None: this tree); its JSON."""
    out = WORK / "runs" / f"{name}.json"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    command = [PYTHON, str(ROOT / "bench" / "load.py"), "--slot", str(slot),
               "--run-dir", str(WORK / ("stack-old" if tree else "stack-new")),
               "--out", str(out), *arguments]
    print(f"\n== {name}: {shlex.join(command[1:])}", flush=True)
    started = time.monotonic()
    subprocess.run(command, env=env, cwd=str(tree or ROOT), check=True,
                   stdout=subprocess.DEVNULL if os.environ.get("QUIET") else None)
    result = json.loads(out.read_text())
    result["command"] = shlex.join(command[1:])
    result["tree"] = str(tree or ROOT)
    result["run_s"] = round(time.monotonic() - started, 1)
    print(f"   {name}: {brief(result)}", flush=True)
    return result


def brief(run: dict[str, Any]) -> str:
    return json.dumps({k: run.get(k) for k in (
        "submit_per_s", "forwarded_per_s", "lost", "submit_latency_ms",
        "submit_to_forwarded_s")} | {
        "commands": run["database_commands_per_report"].get("total"),
        "cpu_ms": run["cpu_per_report"].get("total_ms")}, default=str)


def figures(run: dict[str, Any]) -> dict[str, Any]:
    """What the comparison reads of one run."""
    cpu = run["cpu_per_report"]
    by_role = cpu.get("by_role_ms", {})
    broker = sum(v for k, v in by_role.items() if k == "beam.smp")
    return {
        "submitted_ok": run["submitted_ok"],
        "submit_per_s": run["submit_per_s"],
        "forwarded_per_s": run["forwarded_per_s"],
        "lost": run["lost"],
        "not_final_after_drain": run["not_final_after_drain"],
        "errors": run["errors"],
        "submit_p95_ms": (run["submit_latency_ms"] or {}).get("p95"),
        "submit_to_forwarded_p95_s": run["submit_to_forwarded_s"]["p95"],
        "database_commands_per_report": run["database_commands_per_report"].get("total"),
        "database_commands_by_service": run["database_commands_per_report"].get("by_service"),
        "cpu_ms_per_report": cpu.get("total_ms"),
        # The machine's RabbitMQ node serves every stack on it (other benches and tests too):
        # its share is counted but may include their work.
        "cpu_ms_per_report_without_broker": round(cpu.get("total_ms", 0) - broker, 1),
        "cpu_ms_by_process": by_role,
        "cpu_shares": shares(by_role),
        "peak_rss_total_mib": run["peak_rss_total_mib"],
        "worker_copies": run["worker_copies"],
        "cpu_ms_by_copy": cpu.get("copies_ms", {}),
        "history_out_of_order": run.get("history_out_of_order"),
    }


def shares(by_role: dict[str, float]) -> dict[str, float]:
    """Parts of the CPU per report: the verification worker's, the upload's (the gateway,
    intake and the object store taking the photo in) and the database server's."""
    total = sum(by_role.values()) or 1.0
    parts = {"verification_worker": ("services.verification.worker",),
             "upload": ("aduan-gateway", "aduan-intake", "weed"),
             "database_server": ("secantusd (database)", "python")}
    return {name: round(sum(v for k, v in by_role.items() if k in roles) / total, 3)
            for name, roles in parts.items()}


def ratio(new: float | None, old: float | None) -> float | None:
    return round(new / old, 3) if new is not None and old else None


def ratios(new: dict[str, Any], old: dict[str, Any]) -> dict[str, float | None]:
    keys = ("database_commands_per_report", "cpu_ms_per_report",
            "cpu_ms_per_report_without_broker", "submit_per_s", "forwarded_per_s",
            "submit_p95_ms", "submit_to_forwarded_p95_s", "peak_rss_total_mib")
    return {key: ratio(new.get(key), old.get(key)) for key in keys}


def saturation(runs: dict[str, dict[str, Any]], tree: str) -> float:
    """The higher of the 16- and 32-client forwarded rates."""
    return max(runs[f"{tree}-{c}"]["forwarded_per_s"] or 0 for c in (16, 32))


def verify_photo() -> dict[str, Any]:
    subprocess.run([PYTHON, str(ROOT / "bench" / "verify_photo.py"), "--runs", "20"],
                   check=True, cwd=str(ROOT))
    return json.loads((ROOT / "bench" / "results" / "verify_photo.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="b16b05f", help="the earlier commit")
    parser.add_argument("--old-tree", type=Path, default=Path("/tmp/aduan-old"))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--phone-seconds", type=float, default=30)
    parser.add_argument("--slot", type=int, default=9)
    parser.add_argument("--phone-photos", type=int, default=80)
    parser.add_argument("--only", choices=["old", "new"], default=None,
                        help="run one tree only (figures without ratios)")
    parser.add_argument("--skip", default="",
                        help="comma-separated parts to leave out: "
                             "closed,half,copies,phone,verify")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    commit = ensure_worktree(args.old, args.old_tree)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True,
                                text=True).stdout.strip())
    small = small_photos(WORK / "photos" / "small", 3000)
    trees = {"old": args.old_tree, "new": None}
    if args.only:
        trees = {args.only: trees[args.only]}
    base = ["--seconds", str(args.seconds), "--photo-dir", str(small)]

    runs: dict[str, dict[str, Any]] = {}
    if "closed" not in skip:
        for clients in (16, 32):
            for name, tree in trees.items():
                runs[f"{name}-{clients}"] = run_load(
                    tree, f"{name}-{clients}", [*base, "--clients", str(clients)], args.slot)
    if "half" not in skip and "closed" not in skip:
        half = round(saturation(runs, "new" if "new" in trees else "old") / 2, 1)
        for name, tree in trees.items():
            runs[f"{name}-half"] = run_load(
                tree, f"{name}-half",
                [*base, "--clients", "32", "--rate", str(half)], args.slot)
    if "copies" not in skip and "new" in trees:
        # Two copies of each worker: the same CPU per report, split between them, and every
        # report's history still one chain in time order (history_out_of_order).
        runs["new-16-two-copies"] = run_load(
            None, "new-16-two-copies", [*base, "--clients", "16", "--workers", "2"],
            args.slot)
    if "phone" not in skip:
        phone = phone_photos(WORK / "photos" / "phone", args.phone_photos)
        refresh_capture_times(phone)
        for name, tree in trees.items():
            runs[f"{name}-phone"] = run_load(
                tree, f"{name}-phone",
                ["--seconds", str(args.phone_seconds), "--photo-dir", str(phone),
                 "--clients", "16"], args.slot)
    verify = verify_photo() if "verify" not in skip else None

    summary: dict[str, Any] = {name: figures(run) for name, run in runs.items()}
    compared: dict[str, Any] = {}
    for part in ("16", "32", "half", "phone"):
        if f"new-{part}" in runs and f"old-{part}" in runs:
            compared[part] = ratios(summary[f"new-{part}"], summary[f"old-{part}"])
    if all(f"{t}-{c}" in runs for t in ("old", "new") for c in (16, 32)):
        compared["saturation_forwarded_per_s"] = {
            "old": saturation(runs, "old"), "new": saturation(runs, "new"),
            "ratio": ratio(saturation(runs, "new"), saturation(runs, "old"))}
    result = {
        "when": datetime.now(UTC).isoformat(),
        "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": {"cores": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "old": {"commit": commit, "tree": str(args.old_tree)},
        "new": {"commit": head, "uncommitted_changes": dirty},
        "summary": summary,
        "ratios_new_to_old": compared,
        "verify_photo": verify,
        "runs": runs,
    }
    path = write_result("compare", result, stamped=True)
    print(json.dumps({k: result[k] for k in ("summary", "ratios_new_to_old")}, indent=2,
                     default=str))
    if verify:
        print(f"verify/decode (12 MP, one core): {verify['ratio_verify_to_decode']}, "
              f"CPU {verify['ratio_cpu']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
