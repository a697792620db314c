"""Item: the delivery log names recipients by a keyed hash, so whoever reads it (an operator,
a database dump, a backup) cannot turn it back into reporters' phone numbers; and only staff
of the report's city read it at all."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest
import requests
from attackers import file_report, settle
from integration.test_notifications import sms_provider  # noqa: F401  (a real SMS provider)
from photo_factory import fresh_padang_photo
from staff_accounts import make_staff
from waiting import eventually

from services.notification.contacts import normalize_phone

pytestmark = pytest.mark.stack


def _spellings(digits: str) -> list[str]:
    """How a number may have been hashed: as typed, or normalised to +62 / 62 / 0."""
    local = "0" + digits
    return [local, f"+62{digits}", f"62{digits}", f"{local[:4]}-{local[4:8]}-{local[8:]}",
            f"+62 {digits[:3]} {digits[3:7]} {digits[7:]}"]


def test_attacker_with_the_delivery_log_tries_every_number_and_recovers_none(
        api, db, settings, sms_provider):  # noqa: F811
    middle, last = f"{random.randrange(10_000):04d}", f"{random.randrange(10_000):04d}"
    phone = f"0812-{middle}-{last}"
    receipt = file_report(api, fresh_padang_photo(),
                          reporter={"phone": phone, "language": "id"})
    settle(api, receipt, {"forwarded"})
    eventually(lambda: db.deliveries.count_documents(
        {"report_id": receipt["id"], "channel": "sms", "result": "sent"}) >= 2,
        what="the reporter's SMS sent")

    operator = make_staff(db, api, "operator")
    log = requests.get(f"{api}/reports/{receipt['code']}/deliveries", headers=operator.headers,
                       timeout=10)
    assert log.status_code == 200, log.text
    sms = [d for d in log.json()["deliveries"] if d["channel"] == "sms"]
    assert sms and all(last not in d["recipient"] and middle not in d["recipient"]
                       for d in sms)
    keys = {d["id"].rsplit(":", 1)[1] for d in sms}
    assert len(keys) == 1

    # The attacker knows the operator (0812) and the shown last digits, and hashes every
    # number that fits, in every usual spelling: nothing matches.
    shown = sms[0]["recipient"].lstrip("*")
    assert last.endswith(shown)
    found = []
    for n in range(100_000):
        candidate = f"812{n // 10:04d}{n % 10}{shown}"[:11]
        for spelling in _spellings(candidate):
            if hashlib.sha256(spelling.strip().lower().encode()).hexdigest()[:16] in keys:
                found.append(spelling)
    assert found == []

    # The key is what stops them: with the server's secret the real number does match.
    message = b"delivery-recipient:" + normalize_phone(phone).encode()
    assert hmac.new(settings.delivery_hash_secret.encode(), message,
                    hashlib.sha256).hexdigest()[:16] in keys

    # Staff of another city do not read this report's log at all.
    depok = make_staff(db, api, "operator", city="depok")
    other = requests.get(f"{api}/reports/{receipt['code']}/deliveries", headers=depok.headers,
                         timeout=10)
    assert other.status_code == 404
    deliveries = requests.get(f"{api}/webhook-deliveries", headers=depok.headers,
                              params={"result": "sent"}, timeout=10)
    assert receipt["id"] not in deliveries.text
