"""The WhatsApp bot's decisions (aduan.domain.conversation), message by message."""

from __future__ import annotations

from aduan.domain.conversation import (
    LIST_ROWS,
    MAX_PHOTOS,
    Category,
    City,
    Incoming,
    State,
    filed,
    step,
)
from aduan.domain.geo import city_area

CATEGORIES = [Category(f"c{n:02d}", f"Kategori {n}", f"Category {n}") for n in range(21)]
PADANG = City("Kota Padang", city_area("padang"), 500.0)


def run(messages: list[Incoming], state: State | None = None, opted_out: bool = False):
    state = state or State()
    outcomes = []
    for message in messages:
        outcome = step(state, message, CATEGORIES, PADANG, opted_out)
        state = outcome.state
        outcomes.append(outcome)
    return outcomes


def said(outcome) -> str:
    return " ".join(r["body"] for r in outcome.replies)


def test_a_conversation_from_greeting_to_the_report_to_file():
    outcomes = run([
        Incoming("text", text="halo"),
        Incoming("choice", choice="cat:c03"),
        Incoming("text", text="Sampah menumpuk di depan pasar sejak Senin"),
        Incoming("image", media_id="m1"),
        Incoming("location", lat=-0.95, lon=100.35, address="Pasar Raya"),
        Incoming("choice", choice="confirm"),
    ])
    greeting, category, description, photo, place, confirm = outcomes
    assert greeting.state.step == "category" and greeting.replies[0]["kind"] == "list"
    assert "Kota Padang" in said(greeting)
    assert category.state.category == "c03" and "Kategori 3" in said(category)
    assert description.state.step == "photo" and description.replies[0]["kind"] == "buttons"
    assert photo.state.step == "location" and photo.state.photos == ("m1",)
    assert place.replies[0]["kind"] == "buttons" and "Pasar Raya" in said(place)
    assert confirm.state.step == "filing" and confirm.replies == []
    assert confirm.filing is not None
    assert confirm.filing.report == {
        "category": "c03", "description": "Sampah menumpuk di depan pasar sejak Senin",
        "location": {"lat": -0.95, "lon": 100.35, "address": "Pasar Raya"}}
    assert confirm.filing.photos == ("m1",)
    done = filed(confirm.state, "PDG-2026-ABC", "https://aduan.example/#/track/PDG-2026-ABC/t")
    assert done.state.step == "idle" and done.state.last_code == "PDG-2026-ABC"
    assert "PDG-2026-ABC" in said(done) and "https://aduan.example/" in said(done)


def test_the_category_list_is_paged_within_whatsapps_ten_rows():
    greeting, more = run([Incoming("text", text="halo"), Incoming("choice", choice="more:1")])
    first = greeting.replies[0]["rows"]
    assert len(first) == LIST_ROWS and first[-1]["id"] == "more:1"
    assert [r["id"] for r in first[:-1]] == [f"cat:c{n:02d}" for n in range(9)]
    second = more.replies[0]["rows"]
    assert len(second) <= LIST_ROWS and second[0]["id"] == "cat:c09"
    assert all(len(r["title"]) <= 24 for r in first + second)


def test_a_typed_category_name_is_taken_and_anything_else_asks_again():
    outcomes = run([Incoming("text", text="halo"), Incoming("text", text="blah"),
                    Incoming("text", text="kategori 7")])
    assert outcomes[1].state.step == "category" and outcomes[1].replies[0]["kind"] == "list"
    assert outcomes[2].state.category == "c07"


def test_a_short_description_is_asked_again():
    outcomes = run([Incoming("text", text="halo"), Incoming("choice", choice="cat:c01"),
                    Incoming("text", text="rusak")])
    assert outcomes[-1].state.step == "description"
    assert "singkat" in said(outcomes[-1])


def test_the_photo_may_be_skipped_and_several_are_kept_up_to_the_limit():
    skipped = run([Incoming("text", text="halo"), Incoming("choice", choice="cat:c01"),
                   Incoming("text", text="Lampu jalan mati sejak kemarin"),
                   Incoming("choice", choice="skip")])
    assert skipped[-1].state.step == "location" and skipped[-1].state.photos == ()
    many = run([Incoming("text", text="halo"), Incoming("choice", choice="cat:c01"),
                Incoming("text", text="Lampu jalan mati sejak kemarin"),
                *(Incoming("image", media_id=f"m{n}") for n in range(5))])
    assert many[-1].state.photos == tuple(f"m{n}" for n in range(MAX_PHOTOS))
    assert many[-1].state.step == "location"


def test_a_photo_may_come_before_the_description_or_carry_it_as_its_caption():
    start = [Incoming("text", text="halo"), Incoming("choice", choice="cat:c01")]
    captioned = run([*start, Incoming("image", media_id="m1",
                                      text="Pohon tumbang menutup jalan")])[-1]
    assert captioned.state.step == "location" and captioned.state.photos == ("m1",)
    assert captioned.state.description == "Pohon tumbang menutup jalan"
    first = run([*start, Incoming("image", media_id="m1"),
                 Incoming("text", text="Pohon tumbang menutup jalan")])
    assert first[-2].state.step == "description" and "Foto diterima" in said(first[-2])
    assert first[-1].state.step == "location" and first[-1].state.photos == ("m1",)


def test_stop_opts_out_says_so_once_and_then_nothing_until_mulai():
    stop = run([Incoming("text", text="halo"), Incoming("text", text="STOP")])[-1]
    assert stop.opt == "out" and stop.state.step == "idle"
    assert [r.get("even_if_stopped") for r in stop.replies] == [True]
    for again in ("halo", "STOP"):
        silent = run([Incoming("text", text=again)], stop.state, opted_out=True)[-1]
        assert silent.replies == [] and silent.opt is None
    back = run([Incoming("text", text="MULAI")], stop.state, opted_out=True)[-1]
    assert back.opt == "in" and back.state.step == "category" and back.replies


def test_english_on_request_and_cancel_starts_over():
    english = run([Incoming("text", text="halo"), Incoming("text", text="EN")])[-1]
    assert english.state.lang == "en" and "Choose" in said(english)
    cancel = run([Incoming("choice", choice="cat:c01"), Incoming("text", text="cancel")],
                 english.state)[-1]
    assert cancel.state == State(lang="en") and "Cancelled" in said(cancel)


def test_state_round_trips_through_its_stored_form():
    state = State(step="confirm", lang="en", category="c01", description="x" * 12,
                  photos=("a", "b"), location={"lat": 1.0, "lon": 2.0})
    assert State.from_dict(state.to_dict()) == state
    assert State.from_dict({}) == State()


def _at_location() -> State:
    return run([Incoming("text", text="halo"), Incoming("choice", choice="cat:c01"),
                Incoming("text", text="Lampu jalan mati sejak kemarin"),
                Incoming("choice", choice="skip")])[-1].state


def test_a_location_outside_the_city_is_asked_again_with_the_reason():
    at_location = _at_location()
    for lat, lon in ((-6.40, 106.82),  # Depok
                     (float("nan"), 100.35), (-0.95, float("inf"))):
        outside = run([Incoming("location", lat=lat, lon=lon)], at_location)[-1]
        assert outside.state == at_location and outside.filing is None
        assert "di luar wilayah Kota Padang" in said(outside)
    inside = run([Incoming("location", lat=-0.95, lon=100.35)], at_location)[-1]
    assert inside.state.step == "confirm"


def test_a_page_of_the_category_list_the_list_does_not_have_shows_one_it_has():
    greeting = run([Incoming("text", text="halo")])[-1].state
    for forged in ("more:x", "more:", "more:-1", "more:99", "more:1e9", "more:٣"):
        shown = run([Incoming("choice", choice=forged)], greeting)[-1]
        assert shown.state.step == "category" and shown.replies[0]["kind"] == "list"
        assert shown.replies[0]["rows"], forged
