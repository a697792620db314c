"""Telling a screenshot (or a saved screen image) from a camera capture.

A camera writes its make and model; a screenshot carries none, is usually a PNG, has the exact
size of a screen, or a phone screen's tall shape (18:9 and taller) that no camera sensor has.
Some screenshot tools also name themselves in Software or UserComment (iOS writes
"Screenshot").
"""

from __future__ import annotations

from aduan.domain.photo_checks import PhotoMetadata

SCREENSHOT_TOOLS = ("screenshot", "screen shot", "screencapture", "snipping tool", "snip & sketch",
                    "greenshot", "flameshot", "lightshot", "sharex", "spectacle", "shottr",
                    "cleanshot", "skitch", "gyazo", "monosnap", "screenpresso")

# (short side, long side) of common phone, tablet and desktop screens.
SCREEN_SIZES = frozenset({
    (640, 1136), (720, 1280), (720, 1520), (720, 1600), (750, 1334), (828, 1792),
    (1080, 1920), (1080, 2160), (1080, 2220), (1080, 2280), (1080, 2340), (1080, 2400),
    (1080, 2412), (1125, 2436), (1170, 2532), (1179, 2556), (1206, 2622), (1242, 2208),
    (1242, 2688), (1284, 2778), (1290, 2796), (1320, 2868), (1440, 2560), (1440, 2960),
    (1440, 3040), (1440, 3088), (1440, 3120), (1440, 3200), (1536, 2048), (1620, 2160),
    (1640, 2360), (1668, 2224), (1668, 2388), (2048, 2732), (768, 1366), (800, 1280),
    (900, 1440), (900, 1600), (1050, 1680), (1200, 1920), (1600, 2560), (1800, 2880),
    (1964, 3024), (2160, 3840),
})
PHONE_SCREEN_ASPECT = 1.95  # 18:9 = 2.0, 19.5:9 ≈ 2.17, 20:9 ≈ 2.22; cameras stop at 16:9


def looks_like_screenshot(image_format: str, width: int, height: int, meta: PhotoMetadata,
                          exact_sizes: bool = True) -> bool:
    """`exact_sizes`: whether a screen's exact size counts (not for photos another app has
    resized: a 16:9 camera picture scaled to 1600 pixels is 900x1600, a screen's size too)."""
    named = " ".join(filter(None, (meta.software, meta.user_comment))).lower()
    if any(tool in named for tool in SCREENSHOT_TOOLS):
        return True
    if meta.make or meta.model:
        return False
    if image_format == "PNG":
        return True
    short, long = sorted((width, height))
    return ((exact_sizes and (short, long) in SCREEN_SIZES)
            or (short > 0 and long / short >= PHONE_SCREEN_ASPECT))
