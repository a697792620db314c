"""Driving the WhatsApp channel of a test stack: the channels service pointed at the Graph API
double (tests/whatsapp_double.py), Meta's signed deliveries to the gateway's webhook, and a
whole conversation that files a report."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager

import requests
import whatsapp_double as meta
from photo_factory import photo_of_its_own, spot_of_its_own
from PIL import Image
from waiting import eventually
from whatsapp_double import WhatsAppDouble

rng = random.Random()


def start_http(stack, service: str) -> None:
    """Starts an HTTP service of the stack and waits until it is ready."""
    stack.start_http(service)
    port = stack.profile.http_ports[service]

    def ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    eventually(ready, 60, f"the {service} service ready again", every_s=0.2)


def restart_channels(stack) -> None:
    stack.stop_process("channels")
    start_http(stack, "channels")


@contextmanager
def channels_through(stack, double: WhatsAppDouble) -> Iterator[WhatsAppDouble]:
    """The stack's channels service restarted to use `double` as the Graph API (and the
    double's app secret and verify token); restored afterwards."""
    overrides = {k.removeprefix("ADUAN_"): v for k, v in double.settings().items()}
    stack.overrides.update(overrides)
    restart_channels(stack)
    try:
        yield double
    finally:
        for key in overrides:
            stack.overrides.pop(key)
        restart_channels(stack)


def webhook_of(api: str) -> str:
    return f"{api}/channels/whatsapp/webhook"


def new_number() -> str:
    return f"62812{rng.randrange(10**7, 10**8)}"


def deliver(webhook: str, wa_id: str, message: dict, secret: str = meta.APP_SECRET
            ) -> requests.Response:
    raw, headers = meta.signed(meta.envelope(wa_id, message), secret)
    return requests.post(webhook, data=raw, headers=headers, timeout=60)


def say(webhook: str, wa_id: str, message: dict) -> None:
    response = deliver(webhook, wa_id, message)
    assert response.status_code == 200, response.text


def whatsapp_photo(city: str = "padang") -> bytes:
    """A photo as WhatsApp hands it on: re-encoded, no EXIF."""
    lat, lon = spot_of_its_own(rng, city)
    picture = Image.open(io.BytesIO(photo_of_its_own(rng, lat, lon))).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


def texts_to(graph: WhatsAppDouble, wa_id: str) -> list[str]:
    """The bodies of what was sent to `wa_id` (texts, and interactive messages' bodies)."""
    texts = []
    for message in graph.messages_to(wa_id):
        if message["type"] == "text":
            texts.append(message["text"]["body"])
        elif message["type"] == "interactive":
            texts.append(message["interactive"]["body"]["text"])
    return texts


def tracking_code_in(text: str) -> str:
    return text.split("Kode pelacakan: ")[1].split()[0]


def file_by_whatsapp(webhook: str, graph: WhatsAppDouble, wa_id: str, category: str,
                     description: str, lat: float, lon: float, photo: bytes | None
                     ) -> tuple[str, dict]:
    """A resident's whole conversation; the tracking code the bot answered and the confirming
    message."""
    say(webhook, wa_id, meta.text(wa_id, "Halo"))
    say(webhook, wa_id, meta.list_reply(wa_id, f"cat:{category}"))
    say(webhook, wa_id, meta.text(wa_id, description))
    if photo is None:
        say(webhook, wa_id, meta.button_reply(wa_id, "skip"))
    else:
        media_id = meta.new_media_id()
        graph.add_media(media_id, photo)
        say(webhook, wa_id, meta.image(wa_id, media_id))
    say(webhook, wa_id, meta.location(wa_id, lat, lon, "Titik laporan"))
    confirm = meta.button_reply(wa_id, "confirm", "Kirim")
    say(webhook, wa_id, confirm)
    return tracking_code_in(texts_to(graph, wa_id)[-1]), confirm
