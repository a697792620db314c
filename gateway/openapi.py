"""The OpenAPI 3.1 document of the public API, served at /api/v1/openapi.json.

Request schemas come from the same pydantic models that validate requests, so they cannot
drift; a test checks that every route the gateway serves is described here, and schemathesis
checks the live API against this document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from aduan.contracts.actions import MODELS as ACTION_MODELS
from aduan.contracts.catalogue import AgencyIn, AgencyPatch, CategoryIn, CategoryPatch
from aduan.contracts.lapor import TOPIC_ID_PATTERN, TopicIn
from aduan.contracts.parking import ReplayIn
from aduan.contracts.public import FollowerIn, NearbyQuery, ScorecardQuery
from aduan.contracts.queries import PublicListQuery, StaffListQuery
from aduan.contracts.reports import CommentIn, ReportIn
from aduan.contracts.tracking import RecoverIn, VerifyIn
from aduan.contracts.uploads import UploadIn
from aduan.contracts.verdicts import VerdictIn
from aduan.contracts.webhooks import SubscriptionIn
from aduan.domain.codes import CODE_PATTERN
from gateway.open311.openapi import open311_paths
from gateway.schemas import ApiKeyIn, ContactIn, LoginIn, RefreshIn, UserChangeIn, UserIn

ERROR = {"$ref": "#/components/responses/Error"}
STAFF = [{"bearerAuth": []}]
CLIENT = [{}, {"apiKey": []}]

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "request_id"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {}},
        },
        "request_id": {"type": ["string", "null"]},
    },
}
_OBJECT = {"type": "object"}
_LIST = {"type": "object", "required": ["items"],
         "properties": {"items": {"type": "array", "items": _OBJECT}}}


_OTHER_REPORT = {"type": "object", "required": ["code", "token"],
                 "properties": {"code": {"type": "string"}, "token": {"type": "string"}}}
_UPLOAD = {"type": "object",
           "required": ["id", "size", "chunk_size", "chunks", "received", "missing", "complete",
                        "expires_at"],
           "properties": {"id": {"type": "string"}, "size": {"type": "integer"},
                          "chunk_size": {"type": "integer"}, "chunks": {"type": "integer"},
                          "received": {"type": "array", "items": {"type": "integer"}},
                          "missing": {"type": "array", "items": {"type": "integer"}},
                          "complete": {"type": "boolean"},
                          "expires_at": {"type": "string", "format": "date-time"}}}


def _schema_of(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True,
                                     ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    return [{"name": name, "in": "query", "required": False, "schema": prop}
            for name, prop in schema["properties"].items()]


def _path_parameter(name: str, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": 64}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _follower_link_parameters(code: dict[str, Any], token_header: str) -> list[dict[str, Any]]:
    """A follower link's operation: the report, the follower and the link's token."""
    return [code, _path_parameter("follower_id", r"^[0-9a-f]{32}$"),
            {"name": token_header, "in": "header", "required": True,
             "schema": {"type": "string", "maxLength": 100}}]


def _json_body(ref: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref}}}


def _ok(status: str, schema: dict[str, Any] | None, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {status: response, "default": ERROR}


def _photo(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {
        "summary": summary,
        "security": [{}, {"bearerAuth": []}, {"reporterToken": []}],
        "parameters": parameters,
        "responses": {
            "200": {"description": "The EXIF-free JPEG (ETag, Cache-Control)",
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}},
                    "content": {"image/jpeg": {"schema": {"type": "string",
                                                          "format": "binary"}}}},
            "304": {"description": "Not modified (If-None-Match)"},
            "default": ERROR,
        },
    }}


def _photo_paths(code: dict[str, Any], reporter_token: dict[str, Any]) -> dict[str, Any]:
    """Photos at stable addresses: anyone while the report is public, else its reporter and
    staff who may see it (comment photos: staff only); 404 like a missing report otherwise."""
    number = {"name": "number", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": 100}}
    photo_id = _path_parameter("photo_id", r"^[0-9a-f]{32}$")
    comment_id = _path_parameter("comment_id", r"^[0-9a-f]{32}$")
    paths: dict[str, Any] = {}
    for base, what, extra in (
            ("/reports/{code}/photos/{number}", "A report photo", number),
            ("/reports/{code}/evidence/{photo_id}", "An agency's evidence photo", photo_id),
            ("/reports/{code}/comments/{comment_id}/photo", "A comment's photo (staff)",
             comment_id)):
        parameters = [code, extra, reporter_token]
        paths[base] = _photo(what, parameters)
        paths[f"{base}/thumbnail"] = _photo(f"{what}: thumbnail", parameters)
    return paths


def build_document(server_url: str = "/api/v1") -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    report_in = _schema_of(ReportIn, components)
    comment_in = _schema_of(CommentIn, components)
    code = _path_parameter("code", rf"^{CODE_PATTERN}$")
    reporter_token = {"name": "X-Reporter-Token", "in": "header", "required": False,
                      "schema": {"type": "string", "maxLength": 100}}
    paths: dict[str, Any] = {
        "/categories": {"get": {
            "summary": "Categories of a city, named in Bahasa Indonesia and English",
            "security": CLIENT,
            "parameters": [{"name": "city", "in": "query", "required": False,
                            "schema": {"type": "string", "pattern": "^[a-z]{2,30}$"}}],
            "responses": _ok("200", _OBJECT, "The city's categories"),
        }},
        "/reports": {
            "post": {
                # A photo is required only where the category asks it of the report's type,
                # on the resident's own forms (app, web: 422 photo_required); up to 5.
                "summary": "Submit a report, with up to 5 photos: `photo` file parts and "
                           "resumable uploads named in the report's `uploads`",
                "security": CLIENT,
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "minLength": 1,
                                           "maxLength": 128}}],
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["report"],
                               "properties": {
                                   "report": {"type": "string",
                                              "contentMediaType": "application/json",
                                              "contentSchema": report_in},
                                   "photo": {"type": "string", "format": "binary"}}},
                    "encoding": {"report": {"contentType": "application/json"}},
                }}},
                "responses": _ok("202", {"type": "object", "required": ["code", "token"],
                                         "properties": {"code": {"type": "string"},
                                                        "token": {"type": "string"},
                                                        "id": {"type": "string"},
                                                        "status": {"type": "string"},
                                                        "tracking_url": {"type": "string"},
                                                        "tracking_link": {"type": "string"}}},
                                 "Accepted: the report and its photos are stored"),
            },
            "get": {
                "summary": "Public list of verified reports (JSON or GeoJSON)",
                "security": CLIENT,
                "parameters": _query_parameters(PublicListQuery),
                "responses": _ok("200", _OBJECT, "A page of reports"),
            },
        },
        "/reports/{code}": {"get": {
            "summary": "Track a report: public view, or the reporter's own with the token",
            "security": CLIENT,
            "parameters": [code, reporter_token],
            "responses": _ok("200", _OBJECT, "The report"),
        }},
        "/reports/{code}/comments": {"post": {
            "summary": "Comment on a report (the reporter, or staff handling it)",
            "security": [{}, {"bearerAuth": []}, {"reporterToken": []}],
            "parameters": [code, reporter_token],
            "requestBody": _json_body(comment_in),
            "responses": _ok("201", _OBJECT, "The comment was added"),
        }},
        "/tracking/recover": {"post": {
            "summary": "The reporter on another device asks for a one-time code, sent to the "
                       "email or phone given with the report; the same answer whether or not "
                       "the contact matched",
            "security": CLIENT,
            "requestBody": _json_body(_schema_of(RecoverIn, components)),
            "responses": _ok("202", _OBJECT, "A code was sent if the contact matched"),
        }},
        "/tracking/verify": {"post": {
            "summary": "The one-time code gives the reporter's tracking token (10 minutes, "
                       "once, 5 tries; 422 invalid_code otherwise)",
            "security": CLIENT,
            "requestBody": _json_body(_schema_of(VerifyIn, components)),
            "responses": _ok("200", {"type": "object", "required": ["code", "token"],
                                     "properties": {"code": {"type": "string"},
                                                    "token": {"type": "string"},
                                                    "tracking_link": {"type": "string"},
                                                    "others": {"type": "array",
                                                               "items": _OTHER_REPORT}}},
                             "The reporter's token, and their other reports (those given "
                             "the same contact the code went to) with theirs"),
        }},
        "/reports/nearby": {"get": {
            "summary": "While filing: the open public reports of the category near a place "
                       "(up to 5, nearest first), to follow one instead of filing it again",
            "security": CLIENT,
            "parameters": [{**p, "required": p["name"] in ("category", "lat", "lon")}
                           for p in _query_parameters(NearbyQuery)],
            "responses": _ok("200", _LIST, "The reports nearby"),
        }},
        "/reports/{code}/followers": {"post": {
            "summary": "Ask to follow a public report (\"me too\"): the address is sent "
                       "one message whose link confirms; only then does it hear the "
                       "report's public steps. Answered the same whether or not the "
                       "address follows already",
            "security": CLIENT,
            "parameters": [code],
            "requestBody": _json_body(_schema_of(FollowerIn, components)),
            "responses": _ok("202", _OBJECT, "Confirmation requested"),
        }},
        "/reports/{code}/followers/{follower_id}/confirm": {"post": {
            "summary": "Confirm following a report, with the token of the link in the "
                       "confirmation message",
            "security": [{}],
            "parameters": _follower_link_parameters(code, "X-Follow-Token"),
            "responses": _ok("200", _OBJECT, "Following"),
        }},
        "/reports/{code}/followers/{follower_id}": {"delete": {
            "summary": "Stop following a report, with the token of the link in the "
                       "follower's messages",
            "security": [{}],
            "parameters": _follower_link_parameters(code, "X-Unfollow-Token"),
            "responses": _ok("204", None, "No longer following"),
        }},
        **_photo_paths(code, reporter_token),
        "/staff/reports": {"get": {
            "summary": "Reports for staff, scoped to their city and (agency roles) agency",
            "security": STAFF,
            "parameters": _query_parameters(StaffListQuery),
            "responses": _ok("200", _LIST, "A page of reports"),
        }},
        "/staff/reports/{code}": {"get": {
            "summary": "One report for staff; the reporter shown as privacy allows",
            "security": STAFF,
            "parameters": [code],
            "responses": _ok("200", _OBJECT, "The report"),
        }},
        "/auth/login": {"post": {
            "summary": "Staff sign-in: a short-lived access token and a refresh token",
            "security": [{}],
            "requestBody": _json_body(_schema_of(LoginIn, components)),
            "responses": _ok("200", _OBJECT, "Signed in"),
        }},
        "/auth/refresh": {"post": {
            "summary": "Exchange a refresh token for a new pair (the old one is revoked)",
            "security": [{}],
            "requestBody": _json_body(_schema_of(RefreshIn, components)),
            "responses": _ok("200", _OBJECT, "A new token pair"),
        }},
        "/auth/logout": {"post": {
            "summary": "Revoke a refresh token",
            "security": [{}],
            "requestBody": _json_body(_schema_of(RefreshIn, components)),
            "responses": _ok("204", None, "Signed out"),
        }},
        "/auth/me": {
            "get": {"summary": "The signed-in staff member", "security": STAFF,
                    "responses": _ok("200", _OBJECT, "The account")},
            "patch": {"summary": "Change your own name, email, phone or message language",
                      "security": STAFF,
                      "requestBody": _json_body(_schema_of(ContactIn, components)),
                      "responses": _ok("200", _OBJECT, "The account")},
        },
        "/users": {
            "get": {"summary": "Staff accounts of your city (sysadmin)", "security": STAFF,
                    "responses": _ok("200", _LIST, "Accounts")},
            "post": {"summary": "Create a staff account in your city (sysadmin)", "security": STAFF,
                     "requestBody": _json_body(_schema_of(UserIn, components)),
                     "responses": _ok("201", _OBJECT, "Created")},
        },
        "/users/{user_id}": {"patch": {
            "summary": ("Change contacts, role, agency, password or disable one of your "
                        "city's accounts (sysadmin)"),
            "security": STAFF,
            "parameters": [_path_parameter("user_id")],
            "requestBody": _json_body(_schema_of(UserChangeIn, components)),
            "responses": _ok("200", _OBJECT, "Changed"),
        }},
        "/api-keys": {
            "get": {"summary": "API keys of your city's client apps (sysadmin)", "security": STAFF,
                    "responses": _ok("200", _LIST, "Keys, without their secrets")},
            "post": {"summary": "Create an API key; the key is shown only in this answer",
                     "security": STAFF,
                     "requestBody": _json_body(_schema_of(ApiKeyIn, components)),
                     "responses": _ok("201", _OBJECT, "Created")},
        },
        "/api-keys/{key_id}": {"delete": {
            "summary": "Revoke an API key of your city (sysadmin)",
            "security": STAFF,
            "parameters": [_path_parameter("key_id")],
            "responses": _ok("204", None, "Revoked"),
        }},
    }
    hub = [{"name": f"hub.{name}", "in": "query", "required": False,
            "schema": {"type": "string", "maxLength": 200}}
           for name in ("mode", "verify_token", "challenge")]
    paths["/channels/whatsapp/webhook"] = {
        "get": {"summary": "WhatsApp Business webhook handshake: hub.challenge echoed when "
                           "hub.verify_token is the city's (404 when the channel is off)",
                "security": [{}], "parameters": hub,
                "responses": {"200": {"description": "The challenge",
                                      "content": {"text/plain": {"schema": {"type": "string"}}}},
                              "default": ERROR}},
        "post": {"summary": "WhatsApp Business webhook deliveries, signed by Meta "
                            "(X-Hub-Signature-256 over the raw body; else 401)",
                 "security": [{}],
                 "parameters": [{"name": "X-Hub-Signature-256", "in": "header",
                                 "required": False, "schema": {"type": "string",
                                                               "maxLength": 100}}],
                 "requestBody": _json_body(_OBJECT),
                 "responses": _ok("200", _OBJECT, "Taken")},
    }
    sms_form = {"type": "object", "required": ["from", "text"], "properties": {
        "from": {"type": "string", "maxLength": 30}, "text": {"type": "string",
                                                              "maxLength": 1600},
        "message_id": {"type": "string", "maxLength": 100}}}
    paths["/channels/sms"] = {"post": {
        "summary": "Inbound SMS from the city's provider (field and header names are "
                   "settings: ADUAN_SMS_INBOUND_*): a report, STOP/MULAI, or a reply that "
                   "becomes a comment (404 when the channel is off, 401 on a wrong secret)",
        "security": [{}],
        "parameters": [{"name": "X-Sms-Secret", "in": "header", "required": False,
                        "schema": {"type": "string", "maxLength": 200}}],
        "requestBody": {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": sms_form}}},
        "responses": _ok("200", _OBJECT, "Handled: {result, code?}")}}
    limit = {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 200}}
    paths["/webhooks"] = {
        "get": {"summary": "Webhook subscriptions of your city (sysadmin)", "security": STAFF,
                "responses": _ok("200", _OBJECT, "Subscriptions, without their secrets")},
        "post": {"summary": "Subscribe a URL to your city's events; deliveries are HMAC-signed",
                 "security": STAFF,
                 "requestBody": _json_body(_schema_of(SubscriptionIn, components)),
                 "responses": _ok("201", _OBJECT, "Subscribed")},
    }
    paths["/webhooks/{subscription_id}"] = {"delete": {
        "summary": "Remove a webhook subscription of your city (sysadmin)", "security": STAFF,
        "parameters": [_path_parameter("subscription_id")],
        "responses": _ok("204", None, "Removed"),
    }}
    paths["/webhook-deliveries"] = {"get": {
        "summary": "Webhook deliveries by result, parked ones by default (operators)",
        "security": STAFF,
        "parameters": [{"name": "result", "in": "query", "required": False,
                        "schema": {"type": "string", "maxLength": 20}}, limit],
        "responses": _ok("200", _OBJECT, "Deliveries"),
    }}
    paths["/webhook-deliveries/{delivery_id}/redeliver"] = {"post": {
        "summary": "Try a parked webhook delivery again (operators)", "security": STAFF,
        "parameters": [_path_parameter("delivery_id", r"^[A-Za-z0-9:._-]{1,64}$")],
        "responses": _ok("202", _OBJECT, "Scheduled again"),
    }}
    paths["/reports/{code}/deliveries"] = {"get": {
        "summary": "The notification log of a report, recipients masked (operators)",
        "security": STAFF,
        "parameters": [code, limit],
        "responses": _ok("200", _OBJECT, "Deliveries"),
    }}
    _push_paths(paths, code, reporter_token)
    _upload_paths(paths, components)
    agency_code = _path_parameter("code", r"^[A-Z0-9_-]{2,30}$")
    category_code = _path_parameter("code", r"^[a-z_]{2,40}$")
    day = {"type": "string", "format": "date"}
    paths["/categories"]["post"] = {
        "summary": "Add a category with its routing rule (sysadmin)", "security": STAFF,
        "requestBody": _json_body(_schema_of(CategoryIn, components)),
        "responses": _ok("201", _OBJECT, "Created"),
    }
    paths["/categories/{code}"] = {"patch": {
        "summary": "Change a category or its routing rule (sysadmin)", "security": STAFF,
        "parameters": [category_code],
        "requestBody": _json_body(_schema_of(CategoryPatch, components)),
        "responses": _ok("200", _OBJECT, "Changed"),
    }}
    paths["/agencies"] = {
        "get": {"summary": "The city's agencies, kecamatan offices and vertical bodies",
                "security": STAFF,
                "parameters": [{"name": "kind", "in": "query", "required": False,
                                "schema": {"type": "string", "maxLength": 20}}],
                "responses": _ok("200", _OBJECT, "Agencies with the categories they handle")},
        "post": {"summary": "Add an agency or a vertical body (sysadmin)", "security": STAFF,
                 "requestBody": _json_body(_schema_of(AgencyIn, components)),
                 "responses": _ok("201", _OBJECT, "Created")},
    }
    paths["/agencies/{code}"] = {
        "get": {"summary": "One agency", "security": STAFF, "parameters": [agency_code],
                "responses": _ok("200", _OBJECT, "The agency")},
        "patch": {"summary": "Change an agency's names, complaints desk (contact) or whether "
                             "it is active (sysadmin)",
                  "security": STAFF, "parameters": [agency_code],
                  "requestBody": _json_body(_schema_of(AgencyPatch, components)),
                  "responses": _ok("200", _OBJECT, "Changed")},
    }
    action_bodies = [_schema_of(model, components) for model in
                     dict.fromkeys(ACTION_MODELS.values())]
    paths["/reports/{code}/actions/{action}"] = {"post": {
        "summary": "A workflow action: operators (verify, reject, postpone, forward, reroute, "
                   "duplicate, archive), agency staff (accept, start, resolve with evidence "
                   "photos, hand_back), agency admins (dispatch to officers), the officers "
                   "dispatched (visit, with optional photos), the reporter with the token "
                   "(confirm, reopen, rate)",
        "security": [{"bearerAuth": []}, {"reporterToken": []}],
        "parameters": [code, {"name": "action", "in": "path", "required": True,
                              "schema": {"type": "string", "enum": sorted(ACTION_MODELS)}},
                       reporter_token],
        "requestBody": {"required": False, "content": {
            "application/json": {"schema": {"oneOf": action_bodies}},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"data": {"type": "string",
                                        "contentMediaType": "application/json"},
                               "photo": {"type": "string", "format": "binary"}}}},
        }},
        "responses": _ok("200", _OBJECT, "The report's workflow after the action"),
    }}
    paths["/reports/{code}/workflow"] = {"get": {
        "summary": "Status, stages, assignments, deadlines and history (staff or reporter)",
        "security": [{"bearerAuth": []}, {"reporterToken": []}],
        "parameters": [code, reporter_token],
        "responses": _ok("200", _OBJECT, "The workflow view"),
    }}
    paths["/queue"] = {"get": {
        "summary": "Reports waiting for an operator (review, triage, postponed)",
        "security": STAFF, "responses": _ok("200", _OBJECT, "The queue"),
    }}
    paths["/inbox"] = {"get": {
        "summary": "The signed-in agency's reports with its own sub-status",
        "security": STAFF, "responses": _ok("200", _OBJECT, "The inbox"),
    }}
    paths["/tasks"] = {"get": {
        "summary": "A field officer's tasks: the reports dispatched to it, each with its "
                   "photos, place, its own times and the actions it may take (visit, resolve)",
        "security": STAFF, "responses": _ok("200", _OBJECT, "The tasks"),
    }}
    paths["/agencies/{code}/officers"] = {"get": {
        "summary": "The agency's active field officers (its staff's dispatch form)",
        "security": STAFF, "parameters": [agency_code],
        "responses": _ok("200", _OBJECT, "The officers"),
    }}
    paths["/escalations"] = {"get": {
        "summary": "Reports escalated by hand, newest first: an agency head's agency's, or "
                   "the city's for leaders and operators",
        "security": STAFF, "responses": _ok("200", _OBJECT, "The escalations"),
    }}
    stats_parameters = [
        {"name": "from", "in": "query", "required": False, "schema": day},
        {"name": "to", "in": "query", "required": False, "schema": day},
        {"name": "period", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["day", "week", "month"]}},
    ]
    paths["/stats"] = {"get": {
        "summary": "Leaders' figures: counts by stage (the city's own stage view too), "
                   "status, agency, kecamatan, category, channel and period; response, "
                   "follow-up and resolution times per agency; time to first visit and to "
                   "resolve per field officer; ratings per agency, category and month; SLA "
                   "compliance. A head of agency gets its own agency's figures only",
        "security": STAFF, "parameters": stats_parameters,
        "responses": _ok("200", _OBJECT, "Figures"),
    }}
    paths["/stats.csv"] = {"get": {
        "summary": "The same figures as CSV", "security": STAFF,
        "parameters": [*stats_parameters, {"name": "table", "in": "query", "required": False,
                                           "schema": {"type": "string",
                                                      "enum": ["agencies", "officers",
                                                               "ratings", "counts"]}}],
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {
            "schema": {"type": "string"}}}}, "default": ERROR},
    }}
    paths["/scorecard"] = {"get": {
        "summary": "The public scorecard of a city's agencies over the last 30 or 90 days: "
                   "reports received, median follow-up and resolution time, share of "
                   "deadlines met, average rating (the leaders' figures; confidential "
                   "reports counted, never shown)",
        "security": CLIENT, "parameters": _query_parameters(ScorecardQuery),
        "responses": _ok("200", _OBJECT, "The scorecard"),
    }}
    paths["/reports/{code}/verdict"] = {"post": {
        "summary": "An operator overrides the photo verdict (needs_review or rejected)",
        "security": STAFF, "parameters": [code],
        "requestBody": _json_body(_schema_of(VerdictIn, components)),
        "responses": _ok("200", _OBJECT, "The new verdict"),
    }}
    city_query = {"name": "city", "in": "query", "required": False,
                  "schema": {"type": "string", "maxLength": 40}}
    topic_id = _path_parameter("topic_id", TOPIC_ID_PATTERN)
    paths["/lapor/topics"] = {"get": {
        "summary": "The city's SP4N-LAPOR! topic to category mapping and its fallback category "
                   "(operators, sysadmins; the platform admin names the city)",
        "security": STAFF, "parameters": [city_query],
        "responses": _ok("200", _OBJECT, "Topics"),
    }}
    paths["/lapor/topics/{topic_id}"] = {
        "put": {"summary": "Map a SP4N-LAPOR! topic to a category of the city (sysadmin)",
                "security": STAFF, "parameters": [topic_id, city_query],
                "requestBody": _json_body(_schema_of(TopicIn, components)),
                "responses": _ok("200", _OBJECT, "The topic as stored")},
        "delete": {"summary": "Remove a SP4N-LAPOR! topic from the city's mapping (sysadmin)",
                   "security": STAFF, "parameters": [topic_id, city_query],
                   "responses": _ok("204", None, "Removed")},
    }
    paths["/lapor/status"] = {"get": {
        "summary": "The SP4N-LAPOR! connector per city: last import, linked reports, pending "
                   "follow-ups, failures (operators)",
        "security": STAFF, "responses": _ok("200", _OBJECT, "Per city"),
    }}
    paths["/reports/{code}/lapor"] = {"get": {
        "summary": "A report's SP4N-LAPOR! sync state: tracking id, follow-ups sent, pending, "
                   "last error, lag (operators, sysadmins, leaders)",
        "security": STAFF, "parameters": [code],
        "responses": _ok("200", _OBJECT, "The sync state"),
    }}
    replay_in = _schema_of(ReplayIn, components)
    for consumer in ("verification", "routing", "notification", "lapor"):
        paths[f"/ops/queues/{consumer}/parked"] = {"get": {
            "summary": f"Messages the {consumer} service parked after failing (operators)",
            "security": STAFF,
            "responses": _ok("200", _LIST, "Parked messages (they stay parked)"),
        }}
        paths[f"/ops/queues/{consumer}/parked/replay"] = {"post": {
            "summary": f"Send parked messages back to the {consumer} service (all or some)",
            "security": STAFF,
            "requestBody": _json_body(replay_in),
            "responses": _ok("200", _OBJECT, "How many were replayed"),
        }}
    paths |= open311_paths()
    return {
        "openapi": "3.1.0",
        "info": {"title": "Aduan API", "version": "1.0.0",
                 "description": "Citizen complaints for Indonesian cities.",
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {"Error": {
                "description": "An error in the one Aduan error format",
                "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Error"}}},
            }},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "reporterToken": {"type": "apiKey", "in": "header",
                                  "name": "X-Reporter-Token"},
            },
        },
    }


def _push_paths(paths: dict[str, Any], code: dict[str, Any],
                reporter_token: dict[str, Any]) -> None:
    """Web Push (services/notification/push_api.py): the key, a device's subscriptions."""
    key = {"type": "string", "pattern": r"^[A-Za-z0-9_-]+={0,2}$", "maxLength": 200}
    endpoint = {"type": "string", "minLength": 1, "maxLength": 2048}
    subscription = {"type": "object", "required": ["endpoint", "keys"], "properties": {
        "endpoint": endpoint, "expirationTime": {"type": ["number", "null"]},
        "keys": {"type": "object", "required": ["p256dh", "auth"],
                 "properties": {"p256dh": key, "auth": key}}}}
    subscribe = {"type": "object", "required": ["subscription"], "additionalProperties": False,
                 "properties": {"subscription": subscription,
                                "language": {"type": "string", "enum": ["id", "en"]}}}
    device = {"type": "object", "required": ["endpoint"], "additionalProperties": False,
              "properties": {"endpoint": endpoint}}
    paths["/push/key"] = {"get": {
        "summary": "The VAPID public key browsers subscribe with (404 push_disabled when the "
                   "city has not set up push)",
        "security": [{}],
        "responses": _ok("200", {"type": "object", "required": ["public_key"],
                                 "properties": {"public_key": {"type": "string"}}},
                         "The key (base64url, uncompressed P-256 point)")}}
    paths["/reports/{code}/push"] = {
        "post": {"summary": "A device's push subscription: with the reporter's token, to their "
                            "own report; without, following a public report (its public steps "
                            "only). The endpoint must be https on a public push service",
                 "security": [{}, {"reporterToken": []}],
                 "parameters": [code, reporter_token],
                 "requestBody": _json_body(subscribe),
                 "responses": _ok("201", {"type": "object", "required": ["id", "role"],
                                          "properties": {
                                              "id": {"type": "string"},
                                              "code": {"type": "string"},
                                              "role": {"enum": ["reporter", "follower"]}}},
                                  "Subscribed")},
        "delete": {"summary": "The device stops hearing of this report (204 whether or not it "
                              "was subscribed)",
                   "security": [{}], "parameters": [code],
                   "requestBody": _json_body(device),
                   "responses": _ok("204", None, "Unsubscribed")},
    }
    paths["/push/subscriptions"] = {"delete": {
        "summary": "The device stops hearing of every report (unsubscribing in the app)",
        "security": [{}], "requestBody": _json_body(device),
        "responses": _ok("204", None, "Unsubscribed")}}


def _upload_paths(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Resumable photo uploads (services/intake/resumable.py): open, send chunks in any order,
    ask what is missing; then name the upload in a report's `uploads`."""
    upload_id = _path_parameter("upload_id", r"^[0-9a-f]{32}$")
    paths["/uploads"] = {"post": {
        "summary": "Open a resumable photo upload of `size` bytes (413 photo_too_large past "
                   "the photo limit; 429 too_many_uploads past the open uploads one address "
                   "may have that got a chunk in the last 30 minutes); unfinished, it expires "
                   "(410 upload_expired)",
        "security": CLIENT,
        "requestBody": _json_body(_schema_of(UploadIn, components)),
        "responses": _ok("201", _UPLOAD, "The upload, every chunk missing")}}
    paths["/uploads/{upload_id}"] = {"get": {
        "summary": "An upload's chunks received and missing (404 upload_not_found, 410 "
                   "upload_expired; an upload whose photo a report was refused for answers "
                   "that error again, e.g. 422 upload_checksum_mismatch, 415 "
                   "unsupported_photo_type: start a new one)",
        "security": CLIENT, "parameters": [upload_id],
        "responses": _ok("200", _UPLOAD, "The upload")}}
    paths["/uploads/{upload_id}/chunks/{index}"] = {"put": {
        "summary": "One chunk, in any order: `chunk_size` bytes but the last (422 "
                   "chunk_size_mismatch, chunk_out_of_range; 413 past chunk_size). The same "
                   "bytes again are harmless; other bytes are 409 chunk_conflict",
        "security": CLIENT,
        "parameters": [upload_id, {"name": "index", "in": "path", "required": True,
                                   "schema": {"type": "integer", "minimum": 0,
                                              "maximum": 10_000}}],
        "requestBody": {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}},
        "responses": _ok("200", _UPLOAD, "The upload with this chunk")}}
