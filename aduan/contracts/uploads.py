"""What a client sends to start a resumable photo upload (services/intake/resumable.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aduan.contracts.base import Strict


class UploadIn(Strict):
    size: Annotated[int, Field(ge=1)]
    # What the client believes it sends; the assembled photo is judged from its bytes anyway.
    content_type: Literal["image/jpeg", "image/png", "image/heic"] | None = None
    # The whole photo's SHA-256: checked once it is assembled (422 upload_checksum_mismatch).
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
