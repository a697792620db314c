"""A small map tile server for the console's tests: a real HTTP server on 127.0.0.1 answering
`/tiles/{z}/{x}/{y}.png` with a plain tile that names itself (OpenStreetMap-style tiles stand-in),
counting what it served."""

from __future__ import annotations

import io
import re
import threading
from functools import cache

from http_receiver import LocalServer, QuietHandler, QuietServer

TILE = re.compile(r"^/tiles/([0-9]{1,2})/([0-9]{1,7})/([0-9]{1,7})\.png$")


@cache
def _tile(z: int, x: int, y: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (234, 240, 228))
    draw = ImageDraw.Draw(image)
    for at in range(0, 256, 64):
        draw.line([(at, 0), (at, 255)], fill=(214, 222, 206))
        draw.line([(0, at), (255, at)], fill=(214, 222, 206))
    draw.rectangle([0, 0, 255, 255], outline=(190, 200, 182))
    draw.text((8, 8), f"tile {z}/{x}/{y}", fill=(120, 132, 110))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class TileServer(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.served = 0
        self._lock = threading.Lock()

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/tiles/{{z}}/{{x}}/{{y}}.png"

    def start(self) -> TileServer:
        tiles = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                match = TILE.match(self.path)
                if match is None:
                    self.send_error(404)
                    return
                body = _tile(*(int(part) for part in match.groups()))
                with tiles._lock:
                    tiles.served += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return self._serve(Handler, QuietServer)
