"""The one Graph API client (aduan/infra/whatsapp_graph.py) over a fake session: a media
download sends the access token only to Meta's media origin, never follows a redirect, takes
digits only as a media id, and reads a lookup of another shape as a refusal or an outage,
never a crash."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fakes import FakeAnswer

from aduan.infra.config import Settings
from aduan.infra.whatsapp_graph import (
    GraphApi,
    MediaTooLarge,
    WhatsAppRefused,
    WhatsAppUnavailable,
)

SETTINGS = Settings(whatsapp_phone_number_id="1098", whatsapp_access_token="token",
                    whatsapp_api_url="https://graph.facebook.com/v21.0", max_photo_bytes=1000)
MEDIA_URL = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"


@dataclass
class Session:
    """Answers by URL; keeps what was asked, with the headers and redirect choice."""

    answers: dict[str, FakeAnswer]
    asked: list[tuple[str, dict[str, str], bool]] = field(default_factory=list)

    def request(self, method: str, url: str, headers: dict[str, str], timeout: float,
                allow_redirects: bool = True, **kwargs: Any) -> FakeAnswer:
        self.asked.append((url, headers, allow_redirects))
        return self.answers[url]


def lookup(url: Any = MEDIA_URL, **extra: Any) -> FakeAnswer:
    return FakeAnswer(200, {"url": url, "mime_type": "image/jpeg", "file_size": 3, **extra})


def api(*answers: tuple[str, FakeAnswer]) -> tuple[GraphApi, Session]:
    session = Session(dict(answers))
    return GraphApi(SETTINGS, session), session


def test_a_media_of_metas_shape_is_downloaded_with_the_token_and_no_redirects():
    graph, session = api(("https://graph.facebook.com/v21.0/123", lookup()),
                         (MEDIA_URL, FakeAnswer(200, data=b"jpg")))
    assert graph.media("123") == (b"jpg", "image/jpeg")
    assert [(u, h["Authorization"], r) for u, h, r in session.asked] == [
        ("https://graph.facebook.com/v21.0/123", "Bearer token", False),
        (MEDIA_URL, "Bearer token", False)]


@pytest.mark.parametrize("url", [
    "https://attacker.example/steal", "http://lookaside.fbsbx.com/x",  # another host; not https
    "https://lookaside.fbsbx.com.attacker.example/x", "file:///etc/passwd", None, 7,
])
def test_the_token_goes_to_no_url_but_metas_media_origin(url):
    graph, session = api(("https://graph.facebook.com/v21.0/123", lookup(url)))
    with pytest.raises(WhatsAppRefused):
        graph.media("123")
    assert len(session.asked) == 1  # the lookup only


def test_the_media_origins_are_a_setting_for_the_suites_double():
    settings = Settings(whatsapp_api_url="http://127.0.0.1:9/v21.0",
                        whatsapp_media_origins="http://127.0.0.1:9")
    session = Session({"http://127.0.0.1:9/v21.0/5": lookup("http://127.0.0.1:9/download/5"),
                       "http://127.0.0.1:9/download/5": FakeAnswer(200, data=b"abc")})
    assert GraphApi(settings, session).media("5")[0] == b"abc"


@pytest.mark.parametrize("media_id", ["../1098/messages", "1?x=1", "", "12/34", "abc"])
def test_a_media_id_is_digits_only(media_id):
    graph, session = api()
    with pytest.raises(WhatsAppRefused):
        graph.media(media_id)
    assert session.asked == []


@pytest.mark.parametrize("answer, error", [
    (FakeAnswer(200, ValueError("not json")), WhatsAppUnavailable),
    (FakeAnswer(200, ["a", "list"]), WhatsAppRefused),
    (lookup(file_size="big"), WhatsAppRefused),
    (lookup(file_size=[1]), WhatsAppRefused),
    (lookup(file_size=5000), MediaTooLarge),
    (FakeAnswer(302, {}), WhatsAppRefused),  # never followed
    (FakeAnswer(503, {}), WhatsAppUnavailable),
    (FakeAnswer(401, {}), WhatsAppUnavailable),  # a token being rotated
])
def test_a_lookup_of_another_shape_is_a_refusal_or_an_outage_never_a_crash(answer, error):
    graph, _ = api(("https://graph.facebook.com/v21.0/123", answer))
    with pytest.raises(error):
        graph.media("123")


def test_a_redirect_of_the_download_is_not_followed():
    graph, session = api(("https://graph.facebook.com/v21.0/123", lookup()),
                         (MEDIA_URL, FakeAnswer(302, {})))
    with pytest.raises(WhatsAppRefused):
        graph.media("123")
    assert all(not follow for _, _, follow in session.asked)
