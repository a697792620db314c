"""Draws the resident app's icons (web/static/icons/*.png, named in the web app manifests):
a white speech bubble with an exclamation mark on the console's blue. `icon-*` are rounded
squares ("any"); `maskable-512` fills the square and keeps its drawing inside the central
circle of 80% a launcher's mask may cut to ("maskable").

    .venv/bin/python tools/pwa_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "web" / "static" / "icons"
BLUE = (18, 72, 107, 255)  # the console's header, the manifests' theme_color #12486b
WHITE = (255, 255, 255, 255)
AMBER = (255, 191, 71, 255)


def draw(size: int, maskable: bool) -> Image.Image:
    big = 4 * size  # drawn four times larger, then shrunk: smooth edges
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(img)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=BLUE)
        scale = 0.62
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.18), fill=BLUE)
        scale = 0.78
    centre, w = big / 2, big * scale
    x0, y0 = centre - w / 2, centre - w / 2 + w * 0.02
    pen.rounded_rectangle((x0, y0, x0 + w, y0 + w * 0.72), radius=int(w * 0.16), fill=WHITE)
    pen.polygon([(x0 + w * 0.22, y0 + w * 0.66), (x0 + w * 0.22, y0 + w * 0.95),
                 (x0 + w * 0.50, y0 + w * 0.66)], fill=WHITE)
    pen.rounded_rectangle((centre - w * 0.06, y0 + w * 0.12, centre + w * 0.06, y0 + w * 0.46),
                          radius=int(w * 0.05), fill=BLUE)
    pen.ellipse((centre - w * 0.065, y0 + w * 0.51, centre + w * 0.065, y0 + w * 0.64),
                fill=AMBER)
    # A palette of 32 colours: a few kB each instead of tens.
    return img.resize((size, size), Image.LANCZOS).quantize(colors=32,
                                                            method=Image.FASTOCTREE)


def main() -> None:
    for name, size, maskable in [("icon-192", 192, False), ("icon-512", 512, False),
                                 ("maskable-512", 512, True)]:
        draw(size, maskable).save(ICONS / f"{name}.png", optimize=True)


if __name__ == "__main__":
    main()
