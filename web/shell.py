"""The resident app's shell: what the service worker (web/pwa/sw.js) keeps for a visit without
network, and the worker's source with that list and its version filled in.

The static files are the ones the page loads (index.html's links and every module); their
content's hash is the cache's version, so a changed file makes a new worker and a new cache.
The documents (statuses' names, the base map, the city's categories) change without a release:
the worker keeps the last answer it got and asks again in the background."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE / "pwa" / "sw.js"
MANIFESTS = {"id": "manifest.webmanifest", "en": "manifest.en.webmanifest"}
DOCUMENTS = ["/names.json", "/config.json", "/api/v1/categories"]


def shell_files() -> list[Path]:
    """index.html, the files it links (styles, vendored scripts) and every module of the app."""
    html = (HERE / "index.html").read_text()
    linked = [HERE / path.lstrip("/") for path in
              re.findall(r'(?:src|href)="(/static/[^"]+)"', html)]
    files = [HERE / "index.html", *linked, *sorted((HERE / "static" / "js").glob("*.js"))]
    return list(dict.fromkeys(files))


def shell_urls() -> list[str]:
    """The addresses of `shell_files()` as the page asks for them (`/` for index.html)."""
    return ["/" if path.name == "index.html" and path.parent == HERE
            else "/" + path.relative_to(HERE).as_posix() for path in shell_files()]


def shell_integrity() -> list[list[str]]:
    """`[url, "sha256-<base64>"]` per shell file: the worker installs a file only if its bytes
    are the ones this version names (Subresource Integrity), never an older server's."""
    return [[url, "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest())
             .decode()] for url, path in zip(shell_urls(), shell_files(), strict=True)]


def shell_version(page_policy: str = "") -> str:
    """The files' content and the page's Content-Security-Policy (it follows settings such as
    ADUAN_MAP_TILE_URL, and the kept `/` carries it): either changed is a new cache."""
    digest = hashlib.sha256(WORKER.read_bytes())
    for path in shell_files():
        digest.update(path.relative_to(HERE).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(page_policy.encode())
    return digest.hexdigest()[:16]


def worker_source(page_policy: str = "") -> str:
    """web/pwa/sw.js with its version and the lists it precaches."""
    return (WORKER.read_text()
            .replace('"__VERSION__"', json.dumps(shell_version(page_policy)))
            .replace("[/* SHELL */]", json.dumps(shell_integrity()))
            .replace("[/* DOCUMENTS */]", json.dumps(DOCUMENTS)))
