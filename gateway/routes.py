"""Every public API route and the service that serves it.

A route's `path` is under /api/v1 on the gateway; `upstream_path` is the same template on the
owning service (path parameters are URL-quoted when forwarded).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str  # intake | verification | routing | notification
    upstream_path: str


ROUTES: tuple[Route, ...] = (
    Route("POST", "/reports", "intake", "/reports"),
    Route("GET", "/reports/<code>", "intake", "/reports/<code>"),
    Route("GET", "/categories", "routing", "/categories"),
    Route("POST", "/reports/<code>/verdict", "verification", "/reports/<code>/verdict"),
)
