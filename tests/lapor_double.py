"""A test double of SP4N-LAPOR!: a real HTTP server on 127.0.0.1 playing the API as
services/lapor/adapter.py models it (see that module's docstring and aduan/data/
lapor_fields.json). LAPOR! is a third party the suite cannot reach; this server stands in for
it, so the connector runs against real HTTP, not mocks.

It plays:
- the token check: every call needs `Authorization: Bearer <token>` of a known institution
  (`tokens`: token -> city), else 401;
- the reports disposed to each city (`reports[city]`, LAPOR!'s JSON shape: `lapor_report`),
  filtered by `updated_since` (inclusive), oldest change first, paged by `page`/`per_page`
  with `meta.last_page`; `overlap` repeats the last N reports of a page at the top of the next
  (a report moved while a client paged: the same report on two pages); `after_page` lets a
  test change the data while a client pages;
- attachments at `/files/<name>` (`files`), given to any caller (a CDN's signed URLs); a
  `Redirect` there answers 302 to its location (a CDN handing on to another host);
- follow-ups per report (`GET`/`POST /laporan/<tracking>/tindak-lanjut`), every POST recorded
  in `followups[tracking]` (duplicates too: the double does not de-duplicate, so a test sees
  every send);
- reports created by the institution (`POST /laporan`, recorded in `created`, found again by
  `GET /laporan/referensi/<ref>`);
- faults on demand, per kind of call (`plan`: the next calls' faults): an answer with a
  status (429 with Retry-After, 5xx), an answer after a pause (longer than the client waits:
  a timeout), or a follow-up recorded and its answer held until `release()` (a client killed
  between its POST and its own record); `down`: kinds of call answered 503 until removed (an
  outage longer than the connector's retries); `refusing`: kinds answered 422 until removed
  (LAPOR! refusing what the connector sends, however often).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from http_receiver import LocalServer, QuietHandler, QuietServer, Received

# Kinds of call a fault may be planned for.
REPORTS, ATTACHMENT, FOLLOWUPS, POST_FOLLOWUP, CREATE, FIND = (
    "reports", "attachment", "followups", "post_followup", "create", "find")


@dataclass
class Fault:
    status: int | None = None  # answer this instead (the call has no effect)
    retry_after: str | None = None
    pause_s: float = 0.0  # answer (normally, effect done) after this pause
    hold: bool = False  # do the effect, then wait for release() before answering


@dataclass(frozen=True)
class Redirect:
    location: str


def lapor_report(tracking_id: str, updated_at: str = "2026-11-01T02:00:00Z",
                 **changes: Any) -> dict[str, Any]:
    """One report as LAPOR! serves it; `changes` replace top-level fields."""
    report = {
        "tracking_id": tracking_id,
        "judul": "Jalan berlubang di depan pasar",
        "isi": "Lubang besar di jalan depan pasar raya sudah dua minggu, berbahaya bagi "
               "pengendara motor di malam hari.",
        "klasifikasi": "pengaduan",
        "privasi": "publik",
        "topik": {"id": "101", "parent_id": "1", "nama": "Jalan Rusak"},
        "pelapor": {"nama": "Budi Santoso", "telepon": "+6281234567890",
                    "email": "budi@example.id"},
        "lokasi": {"alamat": "Jl. Pasar Raya, Padang", "lat": -0.9492, "lng": 100.3543},
        "lampiran": [],
        "tanggal_dibuat": "2026-11-01T01:00:00Z",
        "tanggal_diperbarui": updated_at,
    }
    report.update(changes)
    return report


class LaporDouble(LocalServer):
    def __init__(self, tokens: dict[str, str], overlap: int = 0) -> None:
        super().__init__()
        self.tokens = tokens
        self.overlap = overlap
        self.reports: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes | Redirect] = {}
        self.followups: dict[str, list[dict[str, Any]]] = {}
        self.created: list[dict[str, Any]] = []
        self.received: list[Received] = []
        self.faults: dict[str, list[Fault]] = {}
        self.down: set[str] = set()  # kinds of call answered 503 until removed (an outage)
        self.refusing: set[str] = set()  # kinds of call answered 422 until removed
        # Called with each page served (1, 2, ...): a test changes LAPOR!'s data mid-pass.
        self.after_page: Callable[[int], None] | None = None
        self.pages_served = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.holding = threading.Event()  # set while a held call waits

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def file_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/files/{name}"

    # ---- what a test plans and reads ---------------------------------------------------

    def plan(self, kind: str, *faults: Fault) -> None:
        if any(f.hold for f in faults):
            self._released.clear()
            self.holding.clear()
        with self._lock:
            self.faults.setdefault(kind, []).extend(faults)

    def release(self) -> None:
        self._released.set()

    def sent(self, tracking_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self.followups.get(tracking_id, [])]

    def refs(self, tracking_id: str) -> list[str]:
        return [f["ref"] for f in self.sent(tracking_id)]

    def calls(self, kind_path: str) -> int:
        with self._lock:
            return sum(1 for r in self.received if kind_path in r.path)

    def _fault(self, kind: str) -> Fault | None:
        with self._lock:
            planned = self.faults.get(kind)
            return planned.pop(0) if planned else None

    # ---- the server ----------------------------------------------------------------------

    def start(self) -> LaporDouble:
        double = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None
                        ) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/octet-stream"
                                     if isinstance(body, bytes) else "application/json")
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting: as a timeout test wants
                    self.close_connection = True

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def _city(self) -> str | None:
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
                return double.tokens.get(token or "")

            def do_GET(self) -> None:
                self._handle("GET", b"")

            def do_POST(self) -> None:
                self._handle("POST", self._body())

            def _handle(self, method: str, body: bytes) -> None:
                with double._lock:
                    double.received.append(Received(method, self.path, dict(self.headers),
                                                    body))
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query)
                if path.startswith("/files/"):
                    data = double.files.get(path.removeprefix("/files/"))
                    if isinstance(data, Redirect):
                        return self._answer(302, {}, {"Location": data.location})
                    return self._planned(ATTACHMENT, lambda: self._file(path))
                city = self._city()
                if city is None:
                    return self._answer(401, {"message": "Unauthenticated."})
                segments = [unquote(s) for s in path.removeprefix("/api/").split("/")]
                if method == "GET" and segments == ["laporan"]:
                    return self._planned(REPORTS, lambda: self._page(city, query))
                if method == "POST" and segments == ["laporan"]:
                    return self._planned(CREATE, lambda: self._create(city, body))
                if method == "GET" and segments[:2] == ["laporan", "referensi"] \
                        and len(segments) == 3:
                    return self._planned(FIND, lambda: self._find(segments[2]))
                if len(segments) == 3 and segments[0] == "laporan" \
                        and segments[2] == "tindak-lanjut":
                    if method == "GET":
                        return self._planned(FOLLOWUPS, lambda: self._followups(segments[1]))
                    return self._planned(POST_FOLLOWUP,
                                         lambda: self._post_followup(segments[1], body))
                return self._answer(404, {"message": "Not found."})

            def _planned(self, kind: str, effect) -> None:
                if kind in double.down:
                    return self._answer(503, {"message": "down for maintenance"})
                if kind in double.refusing:
                    return self._answer(422, {"message": "The given data was invalid."})
                fault = double._fault(kind)
                if fault is not None and fault.status is not None:
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                    return self._answer(fault.status, {"message": "planned fault"}, headers)
                status, answer = effect()
                if fault is not None and fault.hold:
                    double.holding.set()
                    double._released.wait(120)
                if fault is not None and fault.pause_s:
                    # The slow LAPOR! being played (longer than the client waits).
                    time.sleep(fault.pause_s)
                return self._answer(status, answer)

            def _file(self, path: str) -> tuple[int, Any]:
                data = double.files.get(path.removeprefix("/files/"))
                return (200, data) if data is not None else (404, {"message": "Not found."})

            def _page(self, city: str, query: dict[str, list[str]]) -> tuple[int, Any]:
                page = int(query.get("page", ["1"])[0])
                size = int(query.get("per_page", ["50"])[0])
                since = query.get("updated_since", [None])[0]
                with double._lock:
                    items = [r for r in double.reports.get(city, [])
                             if since is None or r["tanggal_diperbarui"] >= since]
                items.sort(key=lambda r: (r["tanggal_diperbarui"], r.get("tracking_id", "")))
                last = max(1, -(-len(items) // size))
                start = (page - 1) * size
                chunk = items[max(0, start - double.overlap) if page > 1 else 0:start + size]
                with double._lock:
                    double.pages_served += 1
                    served = double.pages_served
                if double.after_page is not None:
                    double.after_page(served)
                return 200, {"data": chunk,
                             "meta": {"current_page": page, "last_page": last, "total": len(items)}}

            def _followups(self, tracking_id: str) -> tuple[int, Any]:
                return 200, {"data": double.sent(tracking_id)}

            def _post_followup(self, tracking_id: str, body: bytes) -> tuple[int, Any]:
                followup = json.loads(body)
                with double._lock:
                    double.followups.setdefault(tracking_id, []).append(followup)
                return 201, {"data": followup}

            def _create(self, city: str, body: bytes) -> tuple[int, Any]:
                report = json.loads(body)
                with double._lock:
                    tracking_id = f"LPR{9000 + len(double.created)}"
                    double.created.append({**report, "tracking_id": tracking_id,
                                           "city": city})
                return 201, {"data": {"tracking_id": tracking_id}}

            def _find(self, ref: str) -> tuple[int, Any]:
                with double._lock:
                    found = [r for r in double.created if r.get("ref") == ref]
                if not found:
                    return 404, {"message": "Not found."}
                return 200, {"data": {"tracking_id": found[0]["tracking_id"]}}

        return self._serve(Handler, QuietServer, poll_s=0.05)
