"""Every role against every operation of the public API: who may call what.

POLICY must name every operation of the OpenAPI document, so a new endpoint cannot be added
without deciding who may call it.
"""

from __future__ import annotations

import time

import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import submit, wait_for_status
from staff_accounts import make_platform_admin, make_staff

from aduan.web.auth import PLATFORM_ADMIN, ROLES, TOKEN_ROLES, Principal, issue_access_token

pytestmark = pytest.mark.stack

PUBLIC = "public"
ALL_STAFF = frozenset(ROLES)
SYSADMIN_ONLY = frozenset({"sysadmin"})  # a city's own catalogue
# Each within their city; the platform admin (made on the server, never by the API) in all.
ADMINS = frozenset({"sysadmin", PLATFORM_ADMIN})
CITY_OPS = frozenset({"operator", "sysadmin", PLATFORM_ADMIN})
# Decided inside the handler from the report itself (reporter token or handling staff).
PER_REPORT = "per_report"

POLICY: dict[tuple[str, str], object] = {
    ("GET", "/categories"): PUBLIC,
    ("POST", "/reports"): PUBLIC,
    ("GET", "/reports"): PUBLIC,
    ("GET", "/reports/{code}"): PUBLIC,
    ("POST", "/reports/{code}/comments"): PER_REPORT,
    # The reporter's one-time code: anyone may ask and answer (services/intake/recovery.py).
    ("POST", "/tracking/recover"): PUBLIC,
    ("POST", "/tracking/verify"): PUBLIC,
    # Meta's WhatsApp webhook: authenticated by its signature, not a role (test_whatsapp.py).
    ("GET", "/channels/whatsapp/webhook"): PUBLIC,
    ("POST", "/channels/whatsapp/webhook"): PUBLIC,
    # The SMS provider's inbound webhook: authenticated by its shared secret, not a role
    # (test_sms_inbound.py).
    ("POST", "/channels/sms"): PUBLIC,
    # The public map's neighbours, "me too" (confirmed and stopped with the follower's own
    # tokens) and the agencies' scorecard: what the public list shows, nothing of the reporter.
    ("GET", "/reports/nearby"): PUBLIC,
    ("POST", "/reports/{code}/followers"): PUBLIC,
    ("DELETE", "/reports/{code}/followers/{follower_id}"): PER_REPORT,
    ("POST", "/reports/{code}/followers/{follower_id}/confirm"): PER_REPORT,
    ("GET", "/scorecard"): PUBLIC,
    # Resumable photo uploads: anyone filing a report; an upload's unguessable id is what lets
    # one continue it (test_resumable_uploads.py).
    ("POST", "/uploads"): PUBLIC,
    ("GET", "/uploads/{upload_id}"): PUBLIC,
    ("PUT", "/uploads/{upload_id}/chunks/{index}"): PUBLIC,
    # Web Push: the server's public key for anyone; a device registers for its reporter's own
    # report (reporter token) or follows a public one; it stops by naming its own endpoint,
    # a secret of the device (test_push_notifications.py).
    ("GET", "/push/key"): PUBLIC,
    ("POST", "/reports/{code}/push"): PER_REPORT,
    ("DELETE", "/reports/{code}/push"): PUBLIC,
    ("DELETE", "/push/subscriptions"): PUBLIC,
    **{("GET", f"/reports/{{code}}/{path}"): PER_REPORT for path in (
        "photos/{number}", "photos/{number}/thumbnail", "evidence/{photo_id}",
        "evidence/{photo_id}/thumbnail", "comments/{comment_id}/photo",
        "comments/{comment_id}/photo/thumbnail")},
    ("GET", "/staff/reports"): ALL_STAFF,
    ("GET", "/staff/reports/{code}"): ALL_STAFF,
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("GET", "/auth/me"): ALL_STAFF | {PLATFORM_ADMIN},
    ("PATCH", "/auth/me"): ALL_STAFF | {PLATFORM_ADMIN},
    ("GET", "/users"): ADMINS,
    ("POST", "/users"): ADMINS,
    ("PATCH", "/users/{user_id}"): ADMINS,
    ("GET", "/api-keys"): ADMINS,
    ("POST", "/api-keys"): ADMINS,
    ("DELETE", "/api-keys/{key_id}"): ADMINS,
    ("POST", "/categories"): SYSADMIN_ONLY,
    ("PATCH", "/categories/{code}"): SYSADMIN_ONLY,
    ("GET", "/agencies"): ALL_STAFF,
    ("POST", "/agencies"): SYSADMIN_ONLY,
    ("GET", "/agencies/{code}"): ALL_STAFF,
    ("PATCH", "/agencies/{code}"): SYSADMIN_ONLY,
    # The agency's own staff and the city's; staff of another agency are refused (unit tested).
    ("GET", "/agencies/{code}/officers"): ALL_STAFF,
    ("GET", "/tasks"): frozenset({"officer"}),
    ("POST", "/reports/{code}/actions/{action}"): PER_REPORT,
    ("GET", "/reports/{code}/workflow"): PER_REPORT,
    ("GET", "/queue"): frozenset({"operator", "leader", "sysadmin"}),
    ("GET", "/inbox"): frozenset({"agency_admin", "officer"}),
    ("GET", "/escalations"): frozenset({"agency_head", "leader", "operator"}),
    ("GET", "/stats"): frozenset({"leader", "operator", "sysadmin", "agency_head"}),
    ("GET", "/stats.csv"): frozenset({"leader", "operator", "sysadmin", "agency_head"}),
    ("POST", "/reports/{code}/verdict"): frozenset({"operator"}),
    ("GET", "/webhooks"): ADMINS,
    ("POST", "/webhooks"): ADMINS,
    ("DELETE", "/webhooks/{subscription_id}"): ADMINS,
    ("GET", "/webhook-deliveries"): CITY_OPS,
    ("POST", "/webhook-deliveries/{delivery_id}/redeliver"): CITY_OPS,
    ("GET", "/reports/{code}/deliveries"): CITY_OPS,
    **{(method, f"/ops/queues/{consumer}/{path}"): CITY_OPS
       for consumer in ("verification", "routing", "notification", "lapor")
       for method, path in (("GET", "parked"), ("POST", "parked/replay"))},
    # SP4N-LAPOR!: the city's topic mapping (edited by its sysadmin), the connector's state.
    ("GET", "/lapor/topics"): CITY_OPS,
    ("PUT", "/lapor/topics/{topic_id}"): ADMINS,
    ("DELETE", "/lapor/topics/{topic_id}"): ADMINS,
    ("GET", "/lapor/status"): CITY_OPS,
    ("GET", "/reports/{code}/lapor"): frozenset({"operator", "sysadmin", "leader"}),
    # Open311: public like the rest of the client API; submitting needs an API key (tested in
    # test_open311.py).
    **{(method, f"/open311/v2/{path}"): PUBLIC for method, path in (
        ("GET", "discovery.{fmt}"), ("GET", "services.{fmt}"),
        ("GET", "services/{service_code}.{fmt}"), ("GET", "requests.{fmt}"),
        ("POST", "requests.{fmt}"), ("GET", "requests/{service_request_id}.{fmt}"),
        ("GET", "tokens/{token}.{fmt}"))},
}
GUARDED = {op: roles for op, roles in POLICY.items() if isinstance(roles, frozenset)}


@pytest.fixture(scope="module")
def tokens(db, api):
    return {role: make_staff(db, api, role, agency="DLH" if role in
                             ("agency_admin", "officer", "agency_head") else None).headers
            for role in ROLES} | {PLATFORM_ADMIN: make_platform_admin(api).headers}


@pytest.fixture(scope="module")
def report_code(api):
    receipt = submit(api, fresh_padang_photo()).json()
    wait_for_status(api, receipt["code"], {"forwarded"})
    return receipt["code"]


def _call(api: str, method: str, path: str, headers: dict, code: str) -> requests.Response:
    url = api + path.replace("/agencies/{code}", "/agencies/DLH").replace("{code}", code)
    for name in ("user_id", "key_id", "subscription_id", "delivery_id"):
        url = url.replace("{" + name + "}", f"no-such-{name}")
    body = {} if method in ("POST", "PATCH") else None
    return requests.request(method, url, json=body, headers=headers, timeout=10)


def test_the_policy_names_every_documented_operation(api):
    document = requests.get(f"{api}/openapi.json", timeout=10).json()
    documented = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    assert set(POLICY) == documented


@pytest.mark.parametrize("operation", sorted(GUARDED), ids=" ".join)
def test_each_role_is_let_in_or_refused(api, tokens, report_code, operation):
    method, path = operation
    for role in TOKEN_ROLES:
        response = _call(api, method, path, tokens[role], report_code)
        if role in GUARDED[operation]:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("operation", sorted(GUARDED), ids=" ".join)
def test_no_token_or_an_expired_one_is_401(api, settings, report_code, operation):
    method, path = operation
    anonymous = _call(api, method, path, {}, report_code)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "authentication_required"
    expired = issue_access_token(settings, Principal("u", "sysadmin", "padang"),
                                 now=time.time() - 2 * settings.access_token_ttl_s)
    late = _call(api, method, path, {"Authorization": f"Bearer {expired}"}, report_code)
    assert late.status_code == 401
    assert late.json()["error"]["code"] == "token_expired"


def test_a_token_for_a_deleted_role_is_refused(api, settings, report_code):
    token = issue_access_token(settings, Principal("u", "sysadmin", "padang"))
    import jwt

    claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])
    claims["role"] = "superuser"
    forged = jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    response = _call(api, "GET", "/users", {"Authorization": f"Bearer {forged}"}, report_code)
    assert response.status_code == 401
