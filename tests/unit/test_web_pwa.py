"""The resident app's installable parts as the gateway serves them: the manifests, their icons,
the service worker (its scope, its policy, its precache list) and the page's links to them."""

from __future__ import annotations

import base64
import hashlib
import json
import re

from flask import Flask
from PIL import Image

from aduan.infra.config import Settings
from web import HERE, install_console
from web.shell import shell_urls, shell_version


def _client():
    app = Flask("pwa-test")
    install_console(app, Settings())
    return app.test_client()


def test_the_worker_is_served_at_the_root_with_a_policy_that_lets_it_fetch_its_origin():
    response = _client().get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"  # a release reaches the next visit
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "'none'; frame" in policy
    source = response.get_data(as_text=True)
    page_policy = _client().get("/").headers["Content-Security-Policy"]
    assert f'const VERSION = "{shell_version(page_policy)}";' in source
    shell = json.loads(re.search(r"const SHELL = (\[\[.*?\]\]);", source).group(1))
    assert [url for url, _ in shell] == shell_urls()
    # Each file with the hash of its bytes: the install refuses another version's file.
    client = _client()
    for url, integrity in shell:
        body = client.get(url).get_data()
        assert integrity == "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "__VERSION__" not in source and "/* SHELL */" not in source


def test_the_precache_is_the_page_and_every_module_it_may_import():
    urls = shell_urls()
    assert urls[0] == "/"
    client = _client()
    for url in urls[1:]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    modules = {p.name for p in (HERE / "static" / "js").glob("*.js")}
    assert {u.rsplit("/", 1)[1] for u in urls if u.startswith("/static/js/")} == modules
    assert "/static/vendor/leaflet/leaflet.js" in urls


def test_a_changed_file_is_a_new_cache_version(tmp_path, monkeypatch):
    import web.shell as shell

    before = shell_version()
    copy = tmp_path / "web"
    (copy / "pwa").mkdir(parents=True)
    (copy / "static" / "js").mkdir(parents=True)
    (copy / "pwa" / "sw.js").write_text("// worker")
    (copy / "index.html").write_text('<script src="/static/js/app.js"></script>')
    (copy / "static" / "js" / "app.js").write_text("one")
    monkeypatch.setattr(shell, "HERE", copy)
    monkeypatch.setattr(shell, "WORKER", copy / "pwa" / "sw.js")
    first = shell.shell_version()
    (copy / "static" / "js" / "app.js").write_text("two")
    assert shell.shell_version() != first != before


def test_a_new_page_policy_is_a_new_cache_version():
    """The kept `/` carries the page's CSP: another tile server (ADUAN_MAP_TILE_URL) must not
    leave phones with the old policy (its tiles refused)."""
    def version(settings: Settings) -> str:
        app = Flask("pwa-policy")
        install_console(app, settings)
        source = app.test_client().get("/sw.js").get_data(as_text=True)
        return re.search(r'const VERSION = "([0-9a-f]+)";', source).group(1)

    plain = version(Settings())
    tiles = version(Settings(map_tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png"))
    assert plain != tiles
    assert plain == version(Settings())


def test_both_manifests_name_an_installable_app_in_their_language():
    client = _client()
    served = {}
    for language, url in (("id", "/manifest.webmanifest"), ("en", "/manifest.en.webmanifest")):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/manifest+json"
        manifest = json.loads(response.get_data())
        response.close()
        assert manifest["lang"] == language
        assert manifest["display"] == "standalone"
        assert manifest["start_url"].startswith("/") and manifest["scope"] == "/"
        assert manifest["theme_color"] == "#12486b"
        served[language] = manifest
    assert served["id"]["name"] != served["en"]["name"]
    assert served["id"]["id"] == served["en"]["id"]  # one app, whichever language installed it
    icons = served["id"]["icons"]
    assert icons == served["en"]["icons"]
    purposes = set()
    for icon in icons:
        with Image.open(HERE / icon["src"].lstrip("/")) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
        purposes.add(icon["purpose"])
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in icons}
    assert purposes == {"any", "maskable"}


def test_the_page_links_the_manifest_and_a_theme_colour():
    html = (HERE / "index.html").read_text()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#12486b">' in html


def test_only_the_two_manifests_exist():
    assert _client().get("/manifest.fr.webmanifest").status_code == 404
