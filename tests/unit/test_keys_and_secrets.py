"""Signing keys with ids (rotation), and the production secret policy: pure logic."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import jwt
import pytest

from aduan.infra import secret_policy
from aduan.infra.config import Settings
from aduan.infra.keyring import Keyring, key_id
from aduan.infra.tokens import _mac, reporter_token, token_matches
from aduan.web.auth import Principal, decode_access_token, issue_access_token
from aduan.web.errors import ApiError
from tools.devstack import DEV, local_secrets

ROOT = Path(__file__).parents[2]
OLD, NEW, OTHER = "o" * 40, "n" * 40, "x" * 40
GOOD = {
    "ADUAN_JWT_SECRET": "1f" * 32, "ADUAN_TOKEN_SECRET": "2e" * 32,
    "ADUAN_S3_SECRET_KEY": "3d" * 16, "ADUAN_DELIVERY_HASH_SECRET": "5f" * 32,
    "ADUAN_AMQP_URL": f"amqp://aduan:{'4c' * 16}@rabbitmq:5672/%2F",
}


def production(**environ: str) -> tuple[Settings, dict[str, str]]:
    settings = Settings(env="production", jwt_secret=environ.get("ADUAN_JWT_SECRET",
                                                                 Settings.jwt_secret),
                        token_secret=environ.get("ADUAN_TOKEN_SECRET", Settings.token_secret),
                        s3_secret_key=environ.get("ADUAN_S3_SECRET_KEY", Settings.s3_secret_key),
                        delivery_hash_secret=environ.get("ADUAN_DELIVERY_HASH_SECRET",
                                                         Settings.delivery_hash_secret),
                        amqp_url=environ.get("ADUAN_AMQP_URL", Settings.amqp_url),
                        mongo_url=environ.get("ADUAN_MONGO_URL", Settings.mongo_url),
                        jwt_previous_secrets=environ.get("ADUAN_JWT_PREVIOUS_SECRETS", ""))
    return settings, environ


def test_a_reporter_token_names_its_key_and_is_bound_to_report_and_key():
    keys = Keyring.of(NEW)
    token = reporter_token(keys, "report-1")
    assert token.startswith(f"{key_id(NEW)}.")
    assert token_matches(keys, "report-1", token)
    assert not token_matches(keys, "report-2", token)
    assert not token_matches(Keyring.of(OTHER), "report-1", token)
    assert not token_matches(keys, "report-1", None)
    assert not token_matches(keys, "report-1", "")


def test_after_a_rotation_old_reporter_tokens_still_work_and_new_ones_use_the_new_key():
    before = reporter_token(Keyring.of(OLD), "report-1")
    rotated = Keyring.of(NEW, f"{OLD}, {OTHER}")
    assert token_matches(rotated, "report-1", before)
    assert reporter_token(rotated, "report-1").startswith(f"{key_id(NEW)}.")
    assert not token_matches(Keyring.of(NEW), "report-1", before)  # old key dropped: refused


def test_reporter_tokens_handed_out_before_key_ids_still_work():
    legacy = _mac(OLD, "report-1")  # the format of earlier releases: the MAC alone
    assert token_matches(Keyring.of(NEW, OLD), "report-1", legacy)
    assert not token_matches(Keyring.of(NEW), "report-1", legacy)


def test_a_staff_token_carries_its_key_id_and_verifies_after_a_rotation():
    old = Settings(jwt_secret=OLD)
    token = issue_access_token(old, Principal("u1", "operator", "padang"))
    assert jwt.get_unverified_header(token)["kid"] == key_id(OLD)
    rotated = replace(old, jwt_secret=NEW, jwt_previous_secrets=OLD)
    assert decode_access_token(rotated, token).principal.user_id == "u1"
    fresh = issue_access_token(rotated, Principal("u1", "operator", "padang"))
    assert jwt.get_unverified_header(fresh)["kid"] == key_id(NEW)
    with pytest.raises(ApiError) as refused:
        decode_access_token(replace(old, jwt_secret=NEW), token)
    assert refused.value.code == "invalid_token"


def test_a_token_claiming_a_trusted_key_id_but_signed_otherwise_is_refused():
    settings = Settings(jwt_secret=NEW)
    forged = jwt.encode({"iss": "aduan", "sub": "x", "role": "sysadmin", "iat": 1,
                         "exp": 4_000_000_000}, OTHER, algorithm="HS256",
                        headers={"kid": key_id(NEW)})
    with pytest.raises(ApiError):
        decode_access_token(settings, forged)


def test_production_with_good_secrets_has_no_problems():
    settings, environ = production(**GOOD)
    assert secret_policy.problems(settings, environ) == []


@pytest.mark.parametrize("variable", sorted(GOOD))
def test_production_refuses_an_unset_secret(variable):
    settings, environ = production(**{k: v for k, v in GOOD.items() if k != variable})
    assert any(p.startswith(variable) for p in secret_policy.problems(settings, environ))


@pytest.mark.parametrize("value", ["dev-only-jwt-secret-change-me-in-production", "CHANGE-ME",
                                   "change-me-please-with-a-long-tail-of-characters",
                                   "this-is-an-EXAMPLE-secret-of-plenty-length-1234"])
def test_production_refuses_a_shipped_or_placeholder_key(value):
    settings, environ = production(**{**GOOD, "ADUAN_JWT_SECRET": value})
    [problem] = secret_policy.problems(settings, environ)
    assert problem.startswith("ADUAN_JWT_SECRET holds a value shipped")


def test_production_refuses_short_keys_and_weak_passwords_in_urls():
    settings, environ = production(**{
        **GOOD, "ADUAN_TOKEN_SECRET": "a9" * 15,
        "ADUAN_AMQP_URL": "amqp://guest:guest@rabbitmq:5672/%2F",
        "ADUAN_MONGO_URL": "mongodb://aduan:CHANGE-ME@mongo:27017",
        "ADUAN_JWT_PREVIOUS_SECRETS": "short"})
    found = secret_policy.problems(settings, environ)
    assert [p.split()[0] for p in found] == ["ADUAN_JWT_PREVIOUS_SECRETS", "ADUAN_TOKEN_SECRET",
                                              "ADUAN_AMQP_URL", "ADUAN_MONGO_URL"]
    assert "30 bytes, at least 32" in found[1]


def test_every_secret_value_the_repository_ships_is_refused():
    """Defaults, the dev stack's, examples: whatever a person could copy from this repo."""
    shipped = {Settings.jwt_secret, Settings.token_secret, Settings.s3_secret_key,
               Settings.delivery_hash_secret, DEV.s3_secret_key}
    demo = (ROOT / "scripts" / "demo.py").read_text()
    shipped |= set(re.findall(r'DEMO_PASSWORD = "([^"]+)"', demo))
    example = (ROOT / "deploy" / "k8s" / "examples" / "aduan-secrets.example.yaml").read_text()
    shipped |= {v for v in re.findall(r':(CHANGE-ME[^@"]*)', example)}
    shipped |= set(re.findall(r'"(CHANGE-ME)"', example))
    assert len(shipped) >= 5
    for value in shipped:
        assert secret_policy.is_shipped(value), value


def test_development_is_never_refused():
    secret_policy.refuse_insecure_start(Settings())  # returns: nothing checked off production


def test_each_checkout_generates_its_own_keys_once(tmp_path):
    first = local_secrets(tmp_path)
    assert local_secrets(tmp_path) == first  # kept: a restart keeps reporters' tokens valid
    assert local_secrets(tmp_path / "elsewhere") != first
    settings, environ = production(**{**GOOD, **{f"ADUAN_{k}": v for k, v in first.items()}})
    assert secret_policy.problems(settings, environ) == []
