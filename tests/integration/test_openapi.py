"""The OpenAPI document is complete, and the live API keeps to it (schemathesis): no 5xx,
answers in the documented shapes and status codes."""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from staff_accounts import make_staff

from gateway.app import API, create_app

pytestmark = pytest.mark.stack

EXAMPLES_PER_OPERATION = 30


def _documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item}


def test_every_route_the_gateway_serves_is_documented(api):
    document = requests.get(f"{api}/openapi.json", timeout=10).json()
    served = set()
    for rule in create_app().url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule.endswith("/openapi.json"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix(API))
        served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == _documented_operations(document)


@pytest.fixture(scope="module")
def sysadmin_headers(db, api):
    return make_staff(db, api, "sysadmin").headers


def test_the_live_api_keeps_to_its_document(api, sysadmin_headers, db):
    """Every operation gets generated inputs (valid and invalid); each answer must be below
    500, documented, in the documented shape, and nothing may be stored by a refused call."""
    api_schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    sent: dict[str, int] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            reports_before = db.reports.count_documents({})
            response = case.call(headers=sysadmin_headers, timeout=30)
            label = case.operation.label
            sent[label] = sent.get(label, 0) + 1
            assert response.status_code < 500, (label, response.text[:500])
            case.validate_response(response, checks=[status_code_conformance,
                                                     content_type_conformance,
                                                     response_schema_conformance])
            if response.status_code >= 400:
                assert db.reports.count_documents({}) == reports_before

        check()
    document = requests.get(f"{api}/openapi.json", timeout=10).json()
    assert {tuple(label.split(" ", 1)) for label in sent} == _documented_operations(document)
    print(f"\nschemathesis: {sum(sent.values())} generated requests over {len(sent)} "
          f"operations, no 5xx")
