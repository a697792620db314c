"""What a reporter sends to get their tracking access back on another device: the report's code
and the email or phone given with it, then the one-time code that was sent there."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aduan.contracts.base import Strict
from aduan.contracts.fields import ReportCode, Text


class RecoverIn(Strict):
    code: ReportCode
    contact: Annotated[Text, Field(min_length=3, max_length=254)]


class VerifyIn(Strict):
    code: ReportCode
    otp: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
