"""The Open311 operations in the gateway's OpenAPI document (paths under /api/v1; the same
handlers answer under /open311/v2)."""

from __future__ import annotations

from typing import Any

from aduan.domain.codes import CODE_PATTERN
from aduan.domain.report_types import DEFAULT_TYPE, REPORT_TYPES
from gateway.open311.queries import RequestsQuery

CLIENT = [{}, {"apiKey": []}]
_FORMAT = {"name": "fmt", "in": "path", "required": True,
           "schema": {"type": "string", "enum": ["json", "xml"]}}
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": True,
                 "description": "The city: its key (padang) or Kemendagri code (13.71)",
                 "schema": {"type": "string", "maxLength": 30}}
_LOCALE = {"name": "locale", "in": "query", "required": False,
           "schema": {"type": "string", "enum": ["id", "en"]}}
_ERRORS = {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}
_ROWS = {"type": "array", "items": {"type": "object", "required": ["service_request_id"]}}
_XML = {"type": "string"}


def _answer(json_schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {
            "application/json": {"schema": json_schema},
            "application/xml": {"schema": _XML}}},
        "default": {"description": "Open311 errors: [{code, description}] or <errors>",
                    "content": {"application/json": {"schema": _ERRORS},
                                "application/xml": {"schema": _XML}}},
    }


def _path(name: str, pattern: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": pattern, "maxLength": 64}}


def _query_parameters() -> list[dict[str, Any]]:
    schema = RequestsQuery.model_json_schema()
    return [{"name": name, "in": "query", "required": False, "schema": prop}
            for name, prop in schema["properties"].items()]


def open311_paths() -> dict[str, Any]:
    base = "/open311/v2"
    text = {"type": "string", "maxLength": 300}
    post_fields: dict[str, Any] = {name: text for name in (
        "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "email",
        "first_name", "last_name", "phone", "device_id", "account_id", "description",
        "locale")}
    post_fields["attribute[type]"] = {
        "type": "string", "enum": list(REPORT_TYPES), "default": DEFAULT_TYPE,
        "description": "The report type; the service definition lists the ones the service "
                       "accepts"}
    post_fields["media_url"] = {
        "type": "string", "format": "uri", "maxLength": 2000,
        "description": "A JPEG, PNG or HEIC picture (http/https, public hosts only, at most "
                       "the photo size limit), fetched once and checked as an upload; when it "
                       "cannot be fetched the report is still filed, without a photo, for an "
                       "operator to review"}
    form = {"schema": {"type": "object",
                       "required": ["api_key", "jurisdiction_id", "service_code"],
                       "properties": post_fields}}
    upload = {"schema": {"type": "object",
                         "required": ["api_key", "jurisdiction_id", "service_code"],
                         "properties": {**post_fields,
                                        "media": {"type": "string", "format": "binary",
                                                  "description": "The photo itself (wins "
                                                                 "over media_url)"}}}}
    return {
        f"{base}/discovery.{{fmt}}": {"get": {
            "summary": "Open311 GeoReport v2: service discovery",
            "security": CLIENT, "parameters": [_FORMAT],
            "responses": _answer({"type": "object"}, "The endpoint and its formats"),
        }},
        f"{base}/services.{{fmt}}": {"get": {
            "summary": "Open311: the services (Aduan categories) of a jurisdiction (city)",
            "security": CLIENT, "parameters": [_FORMAT, _JURISDICTION, _LOCALE],
            "responses": _answer({"type": "array", "items": {"type": "object"}},
                                 "The services"),
        }},
        f"{base}/services/{{service_code}}.{{fmt}}": {"get": {
            "summary": "Open311: a service definition (one attribute: the report type)",
            "security": CLIENT,
            "parameters": [_path("service_code", r"^[a-z_]{2,40}$"), _FORMAT, _JURISDICTION],
            "responses": _answer({"type": "object"}, "The service definition"),
        }},
        f"{base}/requests.{{fmt}}": {
            "get": {
                "summary": "Open311: public service requests (never confidential ones, never "
                           "a reporter), the last 90 days by default",
                "security": CLIENT,
                "parameters": [_FORMAT, _JURISDICTION, _LOCALE, *_query_parameters()],
                "responses": _answer(_ROWS, "The requests"),
            },
            "post": {
                "summary": "Open311: file a report (api_key required; the photo as `media`, or "
                           "`media_url`, or none: a report without a photo is reviewed by an "
                           "operator)",
                "security": CLIENT, "parameters": [_FORMAT],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": form,
                    "multipart/form-data": upload}},
                "responses": _answer(_ROWS, "The new request's id and token"),
            },
        },
        f"{base}/requests/{{service_request_id}}.{{fmt}}": {"get": {
            "summary": "Open311: one service request by its id (the tracking code)",
            "security": CLIENT,
            "parameters": [_path("service_request_id", rf"^{CODE_PATTERN}$"),
                           _FORMAT, _JURISDICTION, _LOCALE],
            "responses": _answer(_ROWS, "The request"),
        }},
        f"{base}/tokens/{{token}}.{{fmt}}": {"get": {
            "summary": "Open311: the service_request_id of a token from POST requests",
            "security": CLIENT,
            "parameters": [_path("token", r"^[0-9a-f]{32}$"), _FORMAT, _JURISDICTION],
            "responses": _answer(_ROWS, "The request id"),
        }},
    }
