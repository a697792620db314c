"""The gateway serves the console, its assets and the map's base layer from its own origin."""

from __future__ import annotations

import re

import pytest
import requests

from tools.devstack import Stack

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def base_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.profile.http_ports['gateway']}"


def test_the_console_page_and_every_asset_it_names_are_served(base_url):
    page = requests.get(f"{base_url}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<html lang="id">' in page.text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert len(assets) >= 5
    for asset in assets:
        response = requests.get(f"{base_url}{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset


def test_modules_imported_by_the_app_are_served(base_url):
    app = requests.get(f"{base_url}/static/js/app.js", timeout=10)
    assert app.status_code == 200
    assert "javascript" in app.headers["Content-Type"]
    for module in re.findall(r'from "\./([a-z]+\.js)"', app.text):
        assert requests.get(f"{base_url}/static/js/{module}", timeout=10).status_code == 200


@pytest.mark.parametrize("name", ["padang", "padang_kecamatan", "depok_kecamatan"])
def test_boundaries_are_served_as_geojson(base_url, name):
    response = requests.get(f"{base_url}/geo/{name}.geojson", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["features"]


@pytest.mark.parametrize("name", ["atlantis", "padang_desa", "Padang", "..%2Fcatalogue",
                                  "padang_kecamatan_kecamatan"])
def test_an_unknown_boundary_is_a_clear_404(base_url, name):
    response = requests.get(f"{base_url}/geo/{name}.geojson", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] in ("boundary_not_found", "not_found")


def test_a_missing_asset_is_a_404(base_url):
    assert requests.get(f"{base_url}/static/js/nope.js", timeout=10).status_code == 404
    assert requests.get(f"{base_url}/static/../../aduan/infra/config.py",
                        timeout=10).status_code == 404
