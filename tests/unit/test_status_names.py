"""Status names have one source (aduan/domain/status_names.py): every status is named in both
languages, the console is served exactly those names and keeps no copy of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from aduan.domain import status_names
from aduan.domain.lifecycle import STATUSES
from aduan.domain.stages import KINIKO_STAGES, SIGAP_STAGES
from aduan.infra.config import Settings
from web import install_console

JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"
ASSIGNMENT_STATUSES = ("forwarded", "accepted", "in_progress", "resolved", "handed_back",
                       "withdrawn")


@pytest.mark.parametrize("language", status_names.LANGUAGES)
def test_every_status_has_a_label_a_name_and_an_explanation(language):
    for status in STATUSES:
        assert status_names.LABELS[status][language]
        assert status_names.STATUS_NAMES[language][status]
        assert status_names.STATUS_EXPLANATIONS[language][status]
    for status in ASSIGNMENT_STATUSES:
        assert status_names.LABELS[status][language]
    assert set(status_names.LABELS) == {*STATUSES, *ASSIGNMENT_STATUSES}


def test_indonesian_is_the_default_and_unknown_statuses_keep_their_code():
    assert status_names.status_name("fr", "forwarded") == "diteruskan ke instansi"
    assert status_names.status_name("en", "forwarded") == "forwarded to the agency"
    assert status_names.label(None, "in_progress") == "Dikerjakan"
    assert status_names.label("en", "in_progress") == "In progress"
    assert status_names.status_name("en", "someday") == "someday"
    assert status_names.label("en", "someday") == "someday"
    assert status_names.explanation("en", "someday") is None


def test_the_console_is_served_the_python_names():
    app = Flask("console-test")
    install_console(app, Settings())
    response = app.test_client().get("/names.json")
    assert response.status_code == 200
    served = response.get_json()
    assert {k: v for k, v in served.items() if k != "cities"} == status_names.console_names()
    # Each city's own view (aduan/data/cities.json): Sigap's three stages for Depok.
    assert served["cities"]["depok"]["view"] == "sigap"
    assert [s["code"] for s in served["cities"]["depok"]["stages"]] == [
        "verified", "in_process", "done", "none"]
    assert served["cities"]["padang"]["stages"] == served["stages"]["kiniko"]
    assert served["statuses"] == status_names.LABELS
    # In order: the console lists the stages as served.
    assert [s["code"] for s in served["stages"]["kiniko"]] == [*KINIKO_STAGES, "none"]
    assert [s["code"] for s in served["stages"]["sigap"]] == [*SIGAP_STAGES, "none"]
    assert served["stages"]["kiniko"][-1] == {"code": "none", **status_names.NO_STAGE}
    assert served["stages"]["kiniko"][0] == {"code": "not_forwarded",
                                             **KINIKO_STAGES["not_forwarded"]}


def test_the_console_scripts_keep_no_copy_of_status_or_stage_names():
    for script in JS.glob("*.js"):
        text = script.read_text()
        copies = re.findall(r"^\s*(?:st|s)_[a-z_]+\s*:", text, flags=re.MULTILINE)
        assert not copies, f"{script.name} names statuses itself: {copies}"
