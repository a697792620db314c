"""Field types several contracts share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from aduan.domain.codes import CODE_PATTERN
from aduan.domain.contact_details import EMAIL

Text = Annotated[str, StringConstraints(strip_whitespace=True)]
CityCode = Annotated[str, Field(pattern=r"^[a-z]{2,30}$")]
CategoryCode = Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,29}$")]
ReportCode = Annotated[str, Field(pattern=rf"^{CODE_PATTERN}$")]
EMAIL_PATTERN = EMAIL.pattern  # one rule for every email address the API takes
