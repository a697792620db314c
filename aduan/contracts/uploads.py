"""What a client sends to start a resumable photo upload (services/intake/resumable.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aduan.contracts.base import Strict


class UploadIn(Strict):
    size: Annotated[int, Field(ge=1)]
    # What the client believes it sends (a browser's File.type: "image/heif", "image/webp"...);
    # only kept: the assembled photo is judged from its bytes, as a file part is.
    content_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]{1,80}$")] | None = None
    # The whole photo's SHA-256: checked once it is assembled (422 upload_checksum_mismatch).
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
