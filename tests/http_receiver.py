"""Real HTTP servers for tests, on 127.0.0.1: `LocalServer`, what every server the suite plays
shares (a free port, a serving thread, a clean stop, `with`), and `Receiver`, which records
every request it gets and answers with the statuses it is told to (webhook receivers, SMS
providers). The tile server (tile_server.py) and the image host (image_server.py) are
`LocalServer`s too."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that hung up early
        pass


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class LocalServer:
    """A server of the suite on 127.0.0.1: `start` builds its handler and calls `_serve`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def _serve(self, handler: type[BaseHTTPRequestHandler],
               server: type[ThreadingHTTPServer] = ThreadingHTTPServer,
               poll_s: float = 0.5) -> Self:
        self._server = server(("127.0.0.1", self.port), handler)
        threading.Thread(target=self._server.serve_forever, args=(poll_s,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class Receiver(LocalServer):
    """`answer(n)` gives the status of the n-th request (1-based); 200 by default."""

    def __init__(self, port: int | None = None,
                 answer: Callable[[int], int] = lambda _: 200, reply: bytes = b"{}") -> None:
        super().__init__(port)
        self.answer = answer
        self.reply = reply
        self.received: list[Received] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received("POST", self.path, dict(self.headers.items()), body))
                    status = receiver.answer(len(receiver.received))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

        return self._serve(Handler)

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [r.body for r in self.received]
