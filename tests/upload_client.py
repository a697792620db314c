"""Client helpers for resumable photo uploads (services/intake/resumable.py) through the
gateway, or straight to intake where a test plays the gateway."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import requests
from photo_factory import INSIDE, WIB, camera_photo
from stack_client import REPORT

CHUNK = 256 * 1024  # the default upload_chunk_bytes the test stack keeps


def big_padang_photo() -> bytes:
    """A real 2 MB camera JPEG (8 chunks) taken 20 minutes ago in Padang."""
    lat, lon = INSIDE["padang"]
    return camera_photo(lat, lon, datetime.now(WIB) - timedelta(minutes=20),
                        source="iphone_hdr_YES.jpg")


def open_upload(base: str, body: dict[str, Any], headers: dict[str, str] | None = None
                ) -> requests.Response:
    return requests.post(f"{base}/uploads", json=body, headers=headers or {}, timeout=10)


def put_chunk(base: str, upload_id: str, index: int, data: bytes) -> requests.Response:
    return requests.put(f"{base}/uploads/{upload_id}/chunks/{index}", data=data, timeout=30,
                        headers={"Content-Type": "application/octet-stream"})


def chunks_of(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def started(api: str, data: bytes, with_digest: bool = True,
            headers: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"size": len(data), "content_type": "image/jpeg"}
    if with_digest:
        body["sha256"] = hashlib.sha256(data).hexdigest()
    response = open_upload(api, body, headers)
    assert response.status_code == 201, response.text
    return response.json()


def uploaded(api: str, data: bytes) -> str:
    """An upload of `data`, every chunk sent."""
    upload = started(api, data)
    for index, chunk in enumerate(chunks_of(data, upload["chunk_size"])):
        assert put_chunk(api, upload["id"], index, chunk).status_code == 200
    return upload["id"]


def file_report(api: str, upload_ids: list[str], report: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, photo: bytes | None = None
                ) -> requests.Response:
    files: dict[str, Any] = {"report": (None, json.dumps({**(report or REPORT),
                                                          "uploads": upload_ids}),
                                        "application/json")}
    if photo is not None:
        files["photo"] = ("photo.jpg", photo, "image/jpeg")
    return requests.post(f"{api}/reports", files=files, headers=headers or {}, timeout=30)


def error_code(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def chunk_keys(store, upload_id: str) -> list[str]:
    return store.keys(store.raw_bucket, f"uploads/{upload_id}/")
