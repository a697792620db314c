"""A small image host for tests of URL fetches (Open311 `media_url`): a real HTTP server on
127.0.0.1 that answers each path as it is told and records every request it gets."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from http_receiver import LocalServer, QuietHandler, QuietServer, Received


@dataclass(frozen=True)
class Page:
    """What a path answers. `length` overrides the Content-Length header (None: the body's
    own; -1: none, the body ends when the connection closes); `pause_s` is waited before each
    of `pieces` parts of the body."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "image/jpeg"
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    pieces: int = 1
    pause_s: float = 0.0


class ImageServer(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, Page] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths_asked(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.received]

    def start(self) -> ImageServer:
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.received.append(Received("GET", self.path, dict(self.headers), b""))
                page = server.pages.get(self.path, Page(b"not here", 404, "text/plain"))
                self.send_response(page.status)
                if page.content_type:
                    self.send_header("Content-Type", page.content_type)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                length = len(page.body) if page.length is None else page.length
                if length >= 0:
                    self.send_header("Content-Length", str(length))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                size = -(-len(page.body) // page.pieces) if page.body else 0
                for start in range(0, len(page.body), size or 1):
                    # The slow server being played (a `media_url` host that trickles its
                    # body), not a test waiting for something.
                    time.sleep(page.pause_s)
                    try:
                        self.wfile.write(page.body[start:start + size])
                        self.wfile.flush()
                    except OSError:  # the client gave up: as it should, sometimes
                        return
                if length < 0:
                    self.close_connection = True

        return self._serve(Handler, QuietServer, poll_s=0.05)
