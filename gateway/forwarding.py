"""The public API routes the services answer: each forwarded to its owner (`gateway.routes`),
and the OpenAPI document that describes them."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from gateway.context import gateway
from gateway.openapi import build_document
from gateway.routes import ROUTES, Route

API = "/api/v1"

forwarding = Blueprint("api", __name__)
_ROUTE_OF: dict[str, Route] = {}


def forward(**params: Any) -> Response:
    route = _ROUTE_OF[request.endpoint.removeprefix(f"{forwarding.name}.")]
    path = route.upstream_path
    for name, value in params.items():
        path = path.replace(f"<{name}>", quote(str(value), safe=""))
    return gateway().upstreams[route.service].forward(path)


for _route in ROUTES:
    # e.g. "get_routing_reports_code_workflow" (an endpoint name may hold no dot)
    _endpoint = re.sub(r"\W+", "_", f"{_route.method}_{_route.service}{_route.upstream_path}")
    _endpoint = _endpoint.strip("_").lower()
    assert _endpoint not in _ROUTE_OF, _endpoint
    _ROUTE_OF[_endpoint] = _route
    forwarding.add_url_rule(_route.path, endpoint=_endpoint, view_func=forward,
                            methods=[_route.method])


@cache
def _document() -> dict[str, Any]:
    return build_document(API)


@forwarding.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(_document())
