"""Open311 GeoReport v2 at the gateway: the standard 311 interface over Aduan's own services.

Served under /open311/v2/ (and the same handlers under /api/v1/open311/v2/, which the OpenAPI
document describes); every endpoint answers in `.json` or `.xml`.
"""
