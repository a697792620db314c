"""Staff sign-in, token refresh and sign-out, users and API keys, rate limits."""

from __future__ import annotations

import time
from dataclasses import replace

import jwt
import pytest
import requests
from photo_factory import fresh_padang_photo
from stack_client import submit
from staff_accounts import PASSWORD, make_staff

from aduan.web.auth import Principal, decode_access_token, issue_access_token
from aduan.web.errors import ApiError
from gateway import rate_limit

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def sysadmin(db, api):
    return make_staff(db, api, "sysadmin")


def _error_code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


def test_login_returns_a_short_lived_token_carrying_the_role(api, db, settings):
    staff = make_staff(db, api, "agency_admin", agency="DLH")
    principal = decode_access_token(settings, staff.access_token).principal
    assert (principal.role, principal.agency, principal.city) == ("agency_admin", "DLH",
                                                                  "padang")
    claims = jwt.decode(staff.access_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_s
    me = requests.get(f"{api}/auth/me", headers=staff.headers, timeout=10).json()
    assert me["username"] == staff.username and "password_hash" not in me


def test_passwords_are_stored_with_argon2(api, db):
    staff = make_staff(db, api, "leader")
    stored = db.users.find_one({"username": staff.username})
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)


@pytest.mark.parametrize("username, password", [("nobody-here", PASSWORD), (None, "wrong")])
def test_wrong_credentials_are_one_answer(api, db, username, password):
    staff = make_staff(db, api, "operator")
    response = requests.post(f"{api}/auth/login", timeout=10,
                             json={"username": username or staff.username,
                                   "password": password})
    assert response.status_code == 401 and _error_code(response) == "invalid_credentials"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(api, db):
    staff = make_staff(db, api, "operator")
    first = requests.post(f"{api}/auth/refresh", json={"refresh_token": staff.refresh_token},
                          timeout=10)
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != staff.refresh_token
    replay = requests.post(f"{api}/auth/refresh", json={"refresh_token": staff.refresh_token},
                           timeout=10)
    assert replay.status_code == 401 and _error_code(replay) == "invalid_refresh_token"
    # The replay looked like theft: the newer token is revoked too.
    after = requests.post(f"{api}/auth/refresh", json={"refresh_token": rotated}, timeout=10)
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(api, db):
    staff = make_staff(db, api, "leader")
    assert requests.post(f"{api}/auth/logout", json={"refresh_token": staff.refresh_token},
                         timeout=10).status_code == 204
    again = requests.post(f"{api}/auth/refresh", json={"refresh_token": staff.refresh_token},
                          timeout=10)
    assert again.status_code == 401


def test_expired_and_forged_tokens_are_refused(api, settings):
    principal = Principal(user_id="u1", role="sysadmin", city="padang")
    expired = issue_access_token(settings, principal, now=time.time() - 3600)
    forged = issue_access_token(replace(settings, jwt_secret="not-the-secret" * 3), principal)
    unsigned = jwt.encode({"sub": "u1", "role": "sysadmin", "iss": "aduan", "iat": 1,
                           "exp": 4_000_000_000}, key="", algorithm="none")
    for token, code in ((expired, "token_expired"), (forged, "invalid_token"),
                        (unsigned, "invalid_token"), ("garbage", "invalid_token")):
        response = requests.get(f"{api}/users", headers={"Authorization": f"Bearer {token}"},
                                timeout=10)
        assert response.status_code == 401, token
        assert _error_code(response) == code


def test_sysadmin_manages_users_and_a_disabled_user_cannot_sign_in(api, sysadmin):
    created = requests.post(f"{api}/users", headers=sysadmin.headers, timeout=10, json={
        "username": "petugas-dlh-1", "password": "sandi-yang-panjang", "role": "officer",
        "city": "padang", "agency": "DLH"})
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    duplicate = requests.post(f"{api}/users", headers=sysadmin.headers, timeout=10, json={
        "username": "petugas-dlh-1", "password": "sandi-yang-panjang", "role": "officer",
        "city": "padang", "agency": "DLH"})
    assert duplicate.status_code == 409 and _error_code(duplicate) == "username_taken"
    no_agency = requests.post(f"{api}/users", headers=sysadmin.headers, timeout=10, json={
        "username": "petugas-x", "password": "sandi-yang-panjang", "role": "officer",
        "city": "padang"})
    assert no_agency.status_code == 422 and _error_code(no_agency) == "agency_required"
    login = {"username": "petugas-dlh-1", "password": "sandi-yang-panjang"}
    assert requests.post(f"{api}/auth/login", json=login, timeout=10).status_code == 200
    disabled = requests.patch(f"{api}/users/{user_id}", headers=sysadmin.headers,
                              json={"disabled": True}, timeout=10)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    refused = requests.post(f"{api}/auth/login", json=login, timeout=10)
    assert refused.status_code == 403 and _error_code(refused) == "account_disabled"
    listed = requests.get(f"{api}/users", headers=sysadmin.headers, timeout=10).json()
    assert any(u["username"] == "petugas-dlh-1" for u in listed["items"])
    assert all("password_hash" not in u for u in listed["items"])


def test_api_keys_are_shown_once_stored_hashed_and_revocable(api, db, sysadmin):
    created = requests.post(f"{api}/api-keys", headers=sysadmin.headers,
                            json={"name": "Padang Kiniko app"}, timeout=10)
    assert created.status_code == 201
    key = created.json()["key"]
    key_id = created.json()["id"]
    stored = db.api_keys.find_one({"_id": key_id})
    assert key.split("_", 2)[2] not in str(stored)
    listed = requests.get(f"{api}/api-keys", headers=sysadmin.headers, timeout=10).json()
    assert all("key" not in item for item in listed["items"])
    ok = requests.get(f"{api}/categories", headers={"X-Api-Key": key}, timeout=10)
    assert ok.status_code == 200
    assert requests.delete(f"{api}/api-keys/{key_id}", headers=sysadmin.headers,
                           timeout=10).status_code == 204
    revoked = requests.get(f"{api}/categories", headers={"X-Api-Key": key}, timeout=10)
    assert revoked.status_code == 401 and _error_code(revoked) == "api_key_revoked"
    wrong = requests.get(f"{api}/categories", headers={"X-Api-Key": key[:-2] + "xx"},
                         timeout=10)
    assert wrong.status_code == 401 and _error_code(wrong) == "invalid_api_key"


def test_an_api_key_over_its_budget_gets_429_with_retry_after(api, sysadmin):
    statuses, photo_refused = _within_one_rate_window(api, sysadmin)
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    limited = statuses[3]
    assert _error_code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= rate_limit.WINDOW_S + 1
    assert photo_refused.status_code == 429


def _within_one_rate_window(api, sysadmin):
    """Five requests and a submission with a fresh key of budget 3, all inside one counting
    window, so the count is exact however slow the machine: a run that straddled a window's
    end is made again with a new key (at most twice: windows are a minute long)."""
    for _ in range(3):
        key = requests.post(f"{api}/api-keys", headers=sysadmin.headers, timeout=10,
                            json={"name": "tiny budget", "rate_limit": 3}).json()["key"]
        window = time.time() // rate_limit.WINDOW_S
        statuses = [requests.get(f"{api}/categories", headers={"X-Api-Key": key}, timeout=10)
                    for _ in range(5)]
        photo_refused = submit(api, fresh_padang_photo(), headers={"X-Api-Key": key})
        if time.time() // rate_limit.WINDOW_S == window:
            return statuses, photo_refused
    raise AssertionError("three runs in a row straddled a rate window")


def test_per_address_counters_are_shared_and_exact(db):
    subject = f"ip:test-{time.time_ns()}"
    window_start = 1_800_000_000.0  # a multiple of the 60 s window
    for _ in range(5):
        rate_limit.hit(db, subject, 5, now=window_start)
    with pytest.raises(ApiError) as caught:
        rate_limit.hit(db, subject, 5, now=window_start + 15)
    assert caught.value.status == 429
    assert caught.value.details["retry_after"] == 46  # 45 s left in the window, rounded up
    rate_limit.hit(db, subject, 5, now=window_start + rate_limit.WINDOW_S)  # a fresh budget
