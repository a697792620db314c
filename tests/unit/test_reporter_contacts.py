"""The reporter's contact as lookup keys (services/intake/reporter_contacts.py): one key per
contact however it is written, never one contact's key for the other, keyed by the server's
secret (not a plain digest anyone can compute for every phone number), and still found after
the secret is rotated."""

from __future__ import annotations

import hashlib

from aduan.infra.keyring import Keyring
from services.intake.reporter_contacts import contact_key, contact_keys, lookup_keys

SECRET = "s" * 40
RING = Keyring.of(SECRET)


def test_a_phone_written_any_indonesian_way_is_one_key():
    keys = {contact_key("sms", {"phone": phone}, SECRET)
            for phone in ("0812-3456-7890", "+62 812 3456 7890", "62812-34567890")}
    assert len(keys) == 1 and None not in keys


def test_an_address_differently_cased_is_one_key():
    assert contact_key("email", {"email": "Rina.S@Example.ID"}, SECRET) == contact_key(
        "email", {"email": " rina.s@example.id"}, SECRET)


def test_the_email_and_the_phone_have_keys_of_their_own():
    reporter = {"email": "rina@example.id", "phone": "081234567890"}
    email, phone = contact_keys(reporter, RING)
    assert email == contact_key("email", reporter, SECRET)
    assert phone == contact_key("sms", reporter, SECRET)
    assert email != phone
    # The key of a channel is made of that channel's contact only.
    assert contact_key("sms", {"email": "rina@example.id"}, SECRET) is None
    assert contact_key("email", {"phone": "081234567890"}, SECRET) is None


def test_no_contact_no_keys():
    assert contact_keys(None, RING) == [] and contact_keys({"name": "Warga"}, RING) == []
    assert contact_keys({"phone": "not a number"}, RING) == []


def test_a_key_is_no_digest_anyone_can_compute_from_the_number():
    phone = "6281234567890"
    key = contact_key("sms", {"phone": phone}, SECRET)
    for guess in (phone, f"sms:{phone}", f"aduan-contact:sms:{phone}"):
        assert key != hashlib.sha256(guess.encode()).hexdigest()
    assert key != contact_key("sms", {"phone": phone}, "t" * 40)  # another server, other keys


def test_reports_keyed_before_a_rotation_are_still_found():
    reporter = {"email": "rina@example.id"}
    [stored] = contact_keys(reporter, Keyring.of("old" * 12))
    rotated = Keyring.of("new" * 12, "old" * 12)
    assert stored in lookup_keys("email", reporter, rotated)
    assert contact_keys(reporter, rotated) != [stored]  # new reports get the new secret's
    assert stored not in lookup_keys("email", reporter, Keyring.of("new" * 12))
