"""Open311 `media_url` fetched once, safely (gateway/open311/media.py): the address rule on the
URL and on every redirect, the connection pinned to the address checked, the time and size
limits, pictures only. Everything stays on this machine: the image server listens on
127.0.0.1, refused hosts are never connected to, and look-ups of made-up names are answered
by a replaced resolver."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from http_receiver import free_port
from image_server import ImageServer, Page

from aduan.infra import public_addresses
from aduan.infra.config import Settings
from gateway.open311 import media
from gateway.open311.media import MediaFetchFailed, fetch_media, fetch_or_reason

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2000)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(500)
# The production rule except for the image server's own spelling (as the test stacks set it).
SETTINGS = replace(Settings(), media_url_private_hosts="127.0.0.1", media_url_timeout_s=1.0,
                   max_photo_bytes=10_000)


@pytest.fixture
def images():
    with ImageServer() as server:
        yield server


def _reason(url: str, settings: Settings = SETTINGS) -> str:
    with pytest.raises(MediaFetchFailed) as failed:
        fetch_media(settings, url)
    return failed.value.reason


def test_a_picture_is_fetched_once_and_judged_from_its_bytes(images: ImageServer) -> None:
    images.pages["/p.png"] = Page(PNG, content_type="application/octet-stream")
    picture = fetch_media(SETTINGS, images.url("/p.png"))
    assert (picture.data, picture.content_type) == (PNG, "image/png")
    assert images.paths_asked() == ["/p.png"]


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/a.jpg", "http://[::1]/a.jpg",
    "http://[fd00:ec2::254]/", "http://100.100.100.200/", "http://0.0.0.0/a.jpg",
    "http://[::ffff:127.0.0.1]/a.jpg",
])
def test_an_internal_address_is_refused_before_any_connection(url: str) -> None:
    assert _reason(url) == "address_not_allowed"


def test_a_name_for_loopback_is_refused_though_the_same_address_is_exempt_by_number(
        images: ImageServer) -> None:
    images.pages["/a.jpg"] = Page(JPEG)
    assert _reason(images.url("/a.jpg", host="localhost")) == "address_not_allowed"
    assert images.paths_asked() == []


def test_with_production_settings_the_image_server_itself_is_refused(
        images: ImageServer) -> None:
    images.pages["/a.jpg"] = Page(JPEG)
    assert _reason(images.url("/a.jpg"), Settings()) == "address_not_allowed"
    assert images.paths_asked() == []


@pytest.mark.parametrize("url", ["ftp://example.org/a.jpg", "file:///etc/passwd",
                                 "gopher://127.0.0.1/", "http:///a.jpg", "//example.org/a.jpg",
                                 "http://[::1/a.jpg", "https://example.org/" + "a" * 2000])
def test_anything_but_an_http_or_https_url_is_refused(url: str) -> None:
    assert _reason(url) == "host_not_allowed"


def test_a_redirect_to_an_internal_address_is_refused_without_following_it(
        images: ImageServer) -> None:
    images.pages["/away"] = Page(status=302, content_type=None,
                                 headers={"Location": "http://169.254.169.254/latest/"})
    images.pages["/to-localhost"] = Page(status=301, content_type=None, headers={
        "Location": images.url("/a.jpg", host="localhost")})
    images.pages["/a.jpg"] = Page(JPEG)
    assert _reason(images.url("/away")) == "address_not_allowed"
    assert _reason(images.url("/to-localhost")) == "address_not_allowed"
    assert images.paths_asked() == ["/away", "/to-localhost"]


def test_redirects_are_followed_each_checked_at_most_three(images: ImageServer) -> None:
    images.pages["/1"] = Page(status=302, content_type=None, headers={"Location": "/2"})
    images.pages["/2"] = Page(status=307, content_type=None,
                              headers={"Location": images.url("/a.jpg")})
    images.pages["/a.jpg"] = Page(JPEG)
    assert fetch_media(SETTINGS, images.url("/1")).data == JPEG
    for n in range(5):
        images.pages[f"/loop{n}"] = Page(status=302, content_type=None,
                                         headers={"Location": f"/loop{n + 1}"})
    assert _reason(images.url("/loop0")) == "too_many_redirects"
    assert images.paths_asked()[-4:] == ["/loop0", "/loop1", "/loop2", "/loop3"]


def test_an_announced_body_over_the_cap_is_refused_before_it_is_read(
        images: ImageServer) -> None:
    images.pages["/big"] = Page(JPEG + bytes(20_000))
    assert _reason(images.url("/big")) == "too_large"


def test_an_unannounced_body_is_cut_off_at_the_cap(images: ImageServer) -> None:
    images.pages["/endless"] = Page(JPEG + bytes(50_000), length=-1, pieces=10)
    assert _reason(images.url("/endless")) == "too_large"


@pytest.mark.parametrize("page", [
    Page(b"<html>hello</html>", content_type="text/html"),
    Page(JPEG, content_type="text/html"),  # the server says it is no picture: believed
    Page(b"GIF89a" + bytes(100), content_type="image/gif"),  # a picture, not a photo type
    Page(b"", content_type="image/jpeg"),
])
def test_anything_but_a_jpeg_png_or_heic_is_refused(images: ImageServer, page: Page) -> None:
    images.pages["/x"] = page
    assert _reason(images.url("/x")) == "not_an_image"


@pytest.mark.parametrize("status", [404, 403, 500])
def test_an_error_answer_is_a_failure(images: ImageServer, status: int) -> None:
    images.pages["/x"] = Page(JPEG, status=status)
    assert _reason(images.url("/x")) == "http_status"


def test_a_server_that_trickles_is_given_up_on_after_the_timeout(images: ImageServer) -> None:
    images.pages["/slow"] = Page(JPEG, pieces=8, pause_s=0.3)  # 2.4 s in all, 1 s allowed
    assert _reason(images.url("/slow")) == "timeout"


def test_a_closed_port_or_an_unknown_name_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _reason(f"http://127.0.0.1:{free_port()}/a.jpg") == "unreachable"

    def unknown(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    monkeypatch.setattr(public_addresses, "_lookup", unknown)
    assert _reason("https://pictures.example/a.jpg") == "host_unresolvable"


def test_the_fetch_goes_to_the_address_checked_not_to_a_second_answer(
        monkeypatch: pytest.MonkeyPatch, images: ImageServer) -> None:
    """DNS rebinding: the name is looked up once, for the check; the connection goes there."""
    name = "pictures.rebinding.test"
    answers = iter([["127.0.0.1"]])
    monkeypatch.setattr(public_addresses, "_lookup",
                        lambda host, port: next(answers, ["169.254.169.254"]))
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        assert host != name, "the name was looked up again after the check"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    images.pages["/a.jpg"] = Page(JPEG)
    settings = replace(SETTINGS, media_url_private_hosts=name)
    assert fetch_media(settings, images.url("/a.jpg", host=name)).data == JPEG
    assert images.received[-1].headers["Host"] == f"{name}:{images.port}"


def test_a_failure_is_given_as_its_reason_and_logged_without_the_url(
        images: ImageServer, caplog: pytest.LogCaptureFixture) -> None:
    url = images.url("/missing.jpg?secret=s3cr3t")
    assert fetch_or_reason(SETTINGS, url) == "http_status"
    assert "s3cr3t" not in caplog.text
    assert set(media.REASONS) >= {"address_not_allowed", "timeout", "not_an_image"}


def test_staff_read_every_reason_in_both_languages() -> None:
    i18n = (Path(__file__).parents[2] / "web" / "static" / "js" / "i18n.js").read_text()
    keys = set(re.findall(r"^  (mf_[a-z_]+): \[", i18n, re.MULTILINE))
    assert keys == {f"mf_{reason}" for reason in media.REASONS}
