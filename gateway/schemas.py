"""Request bodies the gateway itself handles (sign-in, users, API keys)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aduan.contracts.base import Strict
from aduan.domain.contact_details import LANGUAGES
from aduan.web.auth import ROLES

Username = Annotated[str, Field(pattern=r"^[a-z0-9._-]{3,40}$")]
Password = Annotated[str, Field(min_length=10, max_length=200)]
Role = Literal[ROLES]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Z0-9_.-]{2,40}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
# Checked and normalised by gateway.users.contact_fields (codes invalid_email, invalid_phone);
# "" clears a stored one.
EmailText = Annotated[str, Field(max_length=254)]
PhoneText = Annotated[str, Field(max_length=40)]


class LoginIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=40)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RefreshIn(Strict):
    refresh_token: Annotated[str, Field(min_length=10, max_length=200)]


class ContactIn(Strict):
    """What a user may change of themselves: how they are named and reached."""

    name: Name | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    language: Language | None = None


class UserIn(ContactIn):
    username: Username
    password: Password
    role: Role
    city: Annotated[str, Field(pattern=r"^[a-z]{2,30}$")]
    agency: AgencyCode | None = None


class UserChangeIn(ContactIn):
    role: Role | None = None
    agency: AgencyCode | None = None
    disabled: bool | None = None
    password: Password | None = None


class ApiKeyIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    rate_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
