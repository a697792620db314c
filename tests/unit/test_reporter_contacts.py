"""The reporter's contact as lookup keys (services/intake/reporter_contacts.py): one key per
contact however it is written, and never one contact's key for the other."""

from __future__ import annotations

from services.intake.reporter_contacts import contact_key, contact_keys


def test_a_phone_written_any_indonesian_way_is_one_key():
    keys = {contact_key("sms", {"phone": phone})
            for phone in ("0812-3456-7890", "+62 812 3456 7890", "62812-34567890")}
    assert len(keys) == 1 and None not in keys


def test_an_address_differently_cased_is_one_key():
    assert contact_key("email", {"email": "Rina.S@Example.ID"}) == contact_key(
        "email", {"email": " rina.s@example.id"})


def test_the_email_and_the_phone_have_keys_of_their_own():
    reporter = {"email": "rina@example.id", "phone": "081234567890"}
    email, phone = contact_keys(reporter)
    assert email == contact_key("email", reporter) and phone == contact_key("sms", reporter)
    assert email != phone
    # The key of a channel is made of that channel's contact only.
    assert contact_key("sms", {"email": "rina@example.id"}) is None
    assert contact_key("email", {"phone": "081234567890"}) is None


def test_no_contact_no_keys():
    assert contact_keys(None) == [] and contact_keys({"name": "Warga"}) == []
    assert contact_keys({"phone": "not a number"}) == []
