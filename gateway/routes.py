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
    Route("POST", "/categories", "routing", "/categories"),
    Route("PATCH", "/categories/<code>", "routing", "/categories/<code>"),
    Route("GET", "/agencies", "routing", "/agencies"),
    Route("POST", "/agencies", "routing", "/agencies"),
    Route("GET", "/agencies/<code>", "routing", "/agencies/<code>"),
    Route("PATCH", "/agencies/<code>", "routing", "/agencies/<code>"),
    Route("POST", "/reports/<code>/actions/<action>", "routing",
          "/reports/<code>/actions/<action>"),
    Route("GET", "/reports/<code>/workflow", "routing", "/reports/<code>/workflow"),
    Route("GET", "/queue", "routing", "/queue"),
    Route("GET", "/inbox", "routing", "/inbox"),
    Route("GET", "/stats", "routing", "/stats"),
    Route("GET", "/stats.csv", "routing", "/stats.csv"),
)
