"""Who is calling: staff access tokens (JWT), roles and the one way services check them.

The gateway authenticates client apps (API keys) and staff (login → JWT); every service that
acts on behalf of staff verifies the same JWT itself with `require_roles`, so no service
trusts a header that anyone could set.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from aduan.domain.roles import (
    ACTING_AGENCY_ROLES,
    AGENCY_ADMIN,
    AGENCY_HEAD,
    AGENCY_ROLES,
    COMMENTING_ROLES,
    LEADER,
    OFFICER,
    OPERATOR,
    PLATFORM_ADMIN,
    ROLES,
    SYSADMIN,
    TOKEN_ROLES,
)
from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.keyring import jwt_keys
from aduan.infra.revocations import Revocations
from aduan.web.errors import ApiError

# The roles live in the domain (aduan.domain.roles); re-exported here for the services' edges.
__all__ = [
    "ACTING_AGENCY_ROLES", "AGENCY_ADMIN", "AGENCY_HEAD", "AGENCY_ROLES", "ALGORITHM",
    "COMMENTING_ROLES", "ISSUER", "LEADER", "OFFICER", "OPERATOR", "PLATFORM_ADMIN", "ROLES",
    "SYSADMIN", "TOKEN_ROLES", "AccessToken", "Principal", "authorised_principal",
    "bearer_token", "current_principal", "decode_access_token", "issue_access_token",
    "require_roles",
]

ALGORITHM = "HS256"
ISSUER = "aduan"


@dataclass(frozen=True)
class Principal:
    """A signed-in staff member."""

    user_id: str
    role: str
    city: str
    agency: str | None = None  # set for agency roles: they see their agency's reports only

    @property
    def is_agency(self) -> bool:
        return self.role in AGENCY_ROLES


@dataclass(frozen=True)
class AccessToken:
    principal: Principal
    issued_at: float  # epoch seconds, to the microsecond: revocations compare against it


def issue_access_token(settings: Settings, principal: Principal, now: float | None = None
                       ) -> str:
    issued = now if now is not None else time.time()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": principal.user_id,
        "role": principal.role,
        "city": principal.city,
        "agency": principal.agency,
        "iat": int(issued),
        "iat_us": int(issued * 1_000_000),
        "exp": int(issued) + settings.access_token_ttl_s,
        "jti": uuid.uuid4().hex,
    }
    key = jwt_keys(settings).current
    return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.id})


def decode_access_token(settings: Settings, token: str) -> AccessToken:
    invalid = ApiError(401, "invalid_token", "The access token is not valid.")
    try:
        key = jwt_keys(settings).find(jwt.get_unverified_header(token).get("kid"))
        if key is None:  # signed by a key this deployment does not (or no longer) trust
            raise invalid
        claims = jwt.decode(
            token, key.secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise ApiError(401, "token_expired", "The access token has expired.") from err
    except jwt.PyJWTError as err:
        raise invalid from err
    if claims.get("role") not in TOKEN_ROLES:
        raise invalid
    principal = Principal(user_id=claims["sub"], role=claims["role"],
                          city=claims.get("city", ""), agency=claims.get("agency"))
    issued_us = claims.get("iat_us")
    issued_at = issued_us / 1_000_000 if isinstance(issued_us, int) else float(claims["iat"])
    return AccessToken(principal, issued_at)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_principal() -> Principal | None:
    """The staff member of this request, or None when no token was sent."""
    if "principal" not in g:
        token = bearer_token()
        g.principal = _still_valid(decode_access_token(_settings(), token)) if token else None
    return g.principal


def authorised_principal() -> Principal:
    """The staff member of a request that `require_roles` let through."""
    principal = current_principal()
    assert principal is not None  # require_roles ran first
    return principal


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def _still_valid(token: AccessToken) -> Principal:
    settings = _settings()
    revocations = current_app.extensions.get("aduan_revocations")
    if revocations is None:
        revocations = current_app.extensions["aduan_revocations"] = Revocations(settings)
    if revocations.revoked(get_db(settings), token.principal.user_id, token.issued_at):
        raise ApiError(401, "token_revoked",
                       "This sign-in is no longer valid (account changed): sign in again.")
    return token.principal


View = TypeVar("View", bound=Callable[..., Any])


def require_roles(*roles: str) -> Callable[[View], View]:
    """Refuses the request with 401 without a valid token and 403 for any other role."""
    unknown = set(roles) - set(TOKEN_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                raise ApiError(401, "authentication_required", "Sign in to do this.")
            if principal.role not in roles:
                raise ApiError(403, "forbidden", "Your role may not do this.",
                               {"role": principal.role, "allowed": list(roles)})
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
