"""The WhatsApp bot, as a pure function: a conversation's state and one incoming message give
the new state, the replies to send and, when the resident confirms, the report to file.

Steps: idle → category (an interactive list of the city's categories; WhatsApp allows 10 rows
per list, so a long catalogue is paged with a "more" row) → description (text, at least 10
characters like every report) → photo (an image, or the "skip" button) → location (WhatsApp's
location message) → confirm (buttons) → filing (the service files the report; `filed` turns
its receipt into the tracking code's reply). At any step: STOP/BERHENTI (no more messages),
MULAI (resume), BATAL/CANCEL (start over), EN/ID (language).

No I/O here: the service (services/channels/whatsapp_webhook.py) loads and stores the state,
downloads photos and sends replies.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from aduan.domain.geo import Area

LIST_ROWS = 10  # WhatsApp's limit of rows in one interactive list
MAX_PHOTOS = 3
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
ROW_TITLE = 24  # WhatsApp's limit of a row's title
BUTTON_TITLE = 20

Step = Literal["idle", "category", "description", "photo", "location", "confirm", "filing"]


@dataclass(frozen=True)
class Category:
    code: str
    name_id: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id


@dataclass(frozen=True)
class City:
    """The city the number serves: its name for the greeting and its area, so a location
    outside it is asked again (None: any point is taken)."""

    name: str
    area: Area | None = None
    margin_m: float = 0.0

    def contains(self, lat: float, lon: float) -> bool:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return False
        return self.area is None or self.area.contains(lat, lon, self.margin_m)


@dataclass(frozen=True)
class Incoming:
    """One message, reduced to what the bot reads. `kind`: text, image, location, choice (a
    list or button reply: `choice` is the row's or button's id) or other."""

    kind: Literal["text", "image", "location", "choice", "other"]
    text: str = ""  # a text's body, or an image's caption
    choice: str = ""
    media_id: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""


@dataclass(frozen=True)
class State:
    step: Step = "idle"
    lang: str = "id"
    page: int = 0
    category: str = ""
    description: str = ""
    photos: tuple[str, ...] = ()
    location: dict[str, Any] | None = None
    last_code: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["photos"] = list(self.photos)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["photos"] = tuple(known.get("photos", ()))
        return cls(**known)


def text(body: str) -> dict[str, Any]:
    return {"kind": "text", "body": body}


def choice_list(body: str, button: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    return {"kind": "list", "body": body, "button": button,
            "rows": [{"id": i, "title": t[:ROW_TITLE]} for i, t in rows]}


def buttons(body: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    return {"kind": "buttons", "body": body,
            "buttons": [{"id": i, "title": t[:BUTTON_TITLE]} for i, t in items]}


@dataclass(frozen=True)
class Filing:
    """The report the resident confirmed (ReportIn's fields but channel, reporter, external id)
    and the media ids of its photos."""

    report: dict[str, Any]
    photos: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    state: State
    replies: list[dict[str, Any]] = field(default_factory=list)
    filing: Filing | None = None
    opt: Literal["out", "in"] | None = None


TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "id": "Halo! Ini layanan pengaduan Aduan {city}. Pilih kategori masalah yang ingin "
              "Anda laporkan. (Ketik BATAL untuk mengulang, EN for English, STOP untuk "
              "berhenti menerima pesan.)",
        "en": "Hello! This is the Aduan complaints service of {city}. Choose the category of "
              "the problem you want to report. (Type CANCEL to start over, ID untuk Bahasa "
              "Indonesia, STOP to receive no more messages.)"},
    "list_button": {"id": "Pilih kategori", "en": "Choose a category"},
    "more": {"id": "Lainnya…", "en": "More…"},
    "pick_from_list": {"id": "Mohon pilih kategori dari daftar.",
                       "en": "Please choose a category from the list."},
    "ask_description": {
        "id": "Kategori: {category}. Ceritakan masalahnya (minimal 10 huruf): apa yang "
              "terjadi dan sejak kapan.",
        "en": "Category: {category}. Describe the problem (at least 10 characters): what is "
              "happening and since when."},
    "description_short": {"id": "Keterangannya terlalu singkat. Mohon ceritakan lebih "
                                "lengkap (minimal 10 huruf).",
                          "en": "That is too short. Please describe it in more detail "
                                "(at least 10 characters)."},
    "description_long": {"id": "Keterangannya terlalu panjang (maksimal 2000 huruf).",
                         "en": "That is too long (at most 2000 characters)."},
    "ask_photo": {"id": "Kirim foto masalahnya, atau tekan Lewati.",
                  "en": "Send a photo of the problem, or tap Skip."},
    "skip": {"id": "Lewati", "en": "Skip"},
    "ask_location": {
        "id": "Sekarang kirim lokasinya: tekan 📎 lalu Lokasi, dan pilih titik masalahnya.",
        "en": "Now send the location: tap 📎, then Location, and pick the problem's spot."},
    "outside_city": {
        "id": "Titik itu berada di luar wilayah {city}; layanan ini hanya untuk {city}. Kirim "
              "lokasi masalahnya di {city}: tekan 📎 lalu Lokasi.",
        "en": "That point is outside {city}; this service is for {city} only. Send the "
              "problem's location in {city}: tap 📎, then Location."},
    "photo_added": {"id": "Foto ditambahkan ({n}).", "en": "Photo added ({n})."},
    "photo_first": {"id": "Foto diterima ({n}). Sekarang ceritakan masalahnya (minimal 10 "
                          "huruf).",
                    "en": "Photo received ({n}). Now describe the problem (at least 10 "
                          "characters)."},
    "photo_limit": {"id": "Sudah {n} foto: cukup.", "en": "That is {n} photos already: enough."},
    "summary": {
        "id": "Periksa laporan Anda:\nKategori: {category}\nKeterangan: {description}\n"
              "Foto: {photos}\nLokasi: {location}\n\nKirim laporan ini?",
        "en": "Check your report:\nCategory: {category}\nDescription: {description}\n"
              "Photos: {photos}\nLocation: {location}\n\nSend this report?"},
    "send": {"id": "Kirim", "en": "Send"},
    "cancel": {"id": "Batal", "en": "Cancel"},
    "confirm_again": {"id": "Tekan Kirim untuk mengirim laporan, atau Batal.",
                      "en": "Tap Send to send the report, or Cancel."},
    "filing": {"id": "Laporan Anda sedang dikirim, mohon tunggu.",
               "en": "Your report is being sent, please wait."},
    "filed": {
        "id": "Laporan Anda diterima. Kode pelacakan: {code}\nIkuti perkembangannya di "
              "{link}\nKabar berikutnya kami kirim di sini. Ketik apa saja untuk laporan baru.",
        "en": "Your report was received. Tracking code: {code}\nFollow its progress at "
              "{link}\nWe will send updates here. Type anything to file another report."},
    "refused": {
        "id": "Maaf, laporan tidak dapat diterima ({reason}). Ketik apa saja untuk mengulang.",
        "en": "Sorry, the report could not be accepted ({reason}). Type anything to start "
              "again."},
    "cancelled": {"id": "Dibatalkan. Ketik apa saja untuk memulai laporan baru.",
                  "en": "Cancelled. Type anything to start a new report."},
    "stopped": {
        "id": "Anda tidak akan menerima pesan lagi dari nomor ini. Ketik MULAI untuk "
              "mengaktifkannya kembali.",
        "en": "You will receive no more messages from this number. Type MULAI to turn them "
              "back on."},
    "no_point": {"id": "(tanpa titik)", "en": "(no point)"},
}

STOP_WORDS = {"stop", "berhenti", "unsubscribe"}
START_WORDS = {"mulai", "start"}
CANCEL_WORDS = {"batal", "cancel"}
LANG_WORDS = {"en": "en", "english": "en", "id": "id", "indonesia": "id", "bahasa": "id"}
CONFIRM_WORDS = {"ya", "kirim", "yes", "send"}
SKIP_WORDS = {"lewati", "skip"}


# The steps at which a photo is taken (the service downloads one only then).
PHOTO_STEPS = frozenset({"description", "photo", "location", "confirm"})


def say(key: str, lang: str, **values: Any) -> str:
    return TEXTS[key]["en" if lang == "en" else "id"].format(**values)


def word(message: Incoming) -> str:
    return message.text.strip().lower() if message.kind == "text" else ""


def step(state: State, message: Incoming, categories: list[Category], city: City,
         opted_out: bool = False) -> Outcome:
    """What one message does to the conversation."""
    city_name = city.name
    keyword = word(message)
    if keyword in STOP_WORDS and opted_out:
        return Outcome(state)  # said once already
    if keyword in STOP_WORDS:
        # The one message a number that said STOP still gets: that it worked.
        return Outcome(State(lang=state.lang),
                       [{**text(say("stopped", state.lang)), "even_if_stopped": True}],
                       opt="out")
    if opted_out:
        if keyword in START_WORDS:
            return replace(_greet(State(lang=state.lang), categories, city_name), opt="in")
        return Outcome(state)  # nothing is sent to a number that said STOP
    if keyword in LANG_WORDS:
        switched = replace(state, lang=LANG_WORDS[keyword])
        return _prompt(switched, categories, city_name)
    if keyword in CANCEL_WORDS:
        return Outcome(State(lang=state.lang, last_code=state.last_code),
                       [text(say("cancelled", state.lang))])
    if state.step == "idle" or keyword in START_WORDS:
        return _greet(State(lang=state.lang, last_code=state.last_code), categories, city_name)
    if state.step == "location":
        return _on_location(state, message, categories, city)
    handler = {"category": _on_category, "description": _on_description,
               "photo": _on_photo, "confirm": _on_confirm}.get(state.step)
    if handler is None:  # filing: the report is on its way
        return Outcome(state, [text(say("filing", state.lang))])
    return handler(state, message, categories)


def filed(state: State, code: str, link: str) -> Outcome:
    """The report was filed: the tracking code and link, and a fresh conversation."""
    return Outcome(State(lang=state.lang, last_code=code),
                   [text(say("filed", state.lang, code=code, link=link))])


def refused(state: State, reason: str) -> Outcome:
    return Outcome(State(lang=state.lang, last_code=state.last_code),
                   [text(say("refused", state.lang, reason=reason))])


def _greet(state: State, categories: list[Category], city_name: str) -> Outcome:
    fresh = replace(state, step="category", page=0)
    return Outcome(fresh, [_category_list(fresh, categories,
                                          say("greeting", state.lang, city=city_name))])


def _prompt(state: State, categories: list[Category], city_name: str) -> Outcome:
    """The current step's question again (after a change of language)."""
    lang = state.lang
    if state.step in ("idle", "category"):
        return _greet(state, categories, city_name)
    if state.step == "description":
        return Outcome(state, [text(say("ask_description", lang,
                                        category=_name(state.category, categories, lang)))])
    if state.step == "photo":
        return Outcome(state, [_photo_question(lang)])
    if state.step == "location":
        return Outcome(state, [text(say("ask_location", lang))])
    if state.step == "confirm":
        return Outcome(state, [_summary(state, categories)])
    return Outcome(state, [text(say("filing", lang))])


def _per_page(categories: list[Category]) -> int:
    return LIST_ROWS - 1 if len(categories) > LIST_ROWS else LIST_ROWS


def _last_page(categories: list[Category]) -> int:
    return max(len(categories) - 1, 0) // _per_page(categories)


def _category_list(state: State, categories: list[Category], body: str) -> dict[str, Any]:
    per_page = _per_page(categories)
    start = state.page * per_page
    rows = [(f"cat:{c.code}", c.name(state.lang)) for c in categories[start:start + per_page]]
    if start + per_page < len(categories):
        rows.append((f"more:{state.page + 1}", say("more", state.lang)))
    return choice_list(body, say("list_button", state.lang), rows)


def _name(code: str, categories: list[Category], lang: str) -> str:
    return next((c.name(lang) for c in categories if c.code == code), code)


def _on_category(state: State, message: Incoming, categories: list[Category]) -> Outcome:
    chosen: Category | None = None
    if message.kind == "choice" and message.choice.startswith("more:"):
        wanted = message.choice.removeprefix("more:")
        # Only a page the list has: the id comes back from the resident's phone as sent, or
        # forged (a signed delivery is Meta's, not necessarily of our list).
        page = min(int(wanted), _last_page(categories)) if wanted.isdecimal() and \
            len(wanted) < 4 else 0
        paged = replace(state, page=page)
        return Outcome(paged, [_category_list(paged, categories, say("pick_from_list",
                                                                     state.lang))])
    if message.kind == "choice" and message.choice.startswith("cat:"):
        code = message.choice.removeprefix("cat:")
        chosen = next((c for c in categories if c.code == code), None)
    elif message.kind == "text":
        typed = message.text.strip().lower()
        chosen = next((c for c in categories
                       if typed in (c.code, c.name_id.lower(), c.name_en.lower())), None)
    if chosen is None:
        return Outcome(state, [_category_list(state, categories,
                                              say("pick_from_list", state.lang))])
    moved = replace(state, step="description", category=chosen.code)
    return Outcome(moved, [text(say("ask_description", state.lang,
                                    category=chosen.name(state.lang)))])


def _on_description(state: State, message: Incoming, _: list[Category]) -> Outcome:
    if message.kind == "image":  # a photo first, perhaps with the description as its caption
        added, _said = _with_photo(state, message)
        caption = message.text.strip()
        if MIN_DESCRIPTION <= len(caption) <= MAX_DESCRIPTION:
            return Outcome(replace(added, step="location", description=caption),
                           [text(say("ask_location", state.lang))])
        return Outcome(added, [text(say("photo_first", state.lang, n=len(added.photos)))])
    typed = message.text.strip() if message.kind == "text" else ""
    if len(typed) < MIN_DESCRIPTION:
        return Outcome(state, [text(say("description_short", state.lang))])
    if len(typed) > MAX_DESCRIPTION:
        return Outcome(state, [text(say("description_long", state.lang))])
    if state.photos:  # sent before the description: no need to ask
        return Outcome(replace(state, step="location", description=typed),
                       [text(say("ask_location", state.lang))])
    return Outcome(replace(state, step="photo", description=typed),
                   [_photo_question(state.lang)])


def _photo_question(lang: str) -> dict[str, Any]:
    return buttons(say("ask_photo", lang), [("skip", say("skip", lang))])


def _with_photo(state: State, message: Incoming) -> tuple[State, dict[str, Any]]:
    if len(state.photos) >= MAX_PHOTOS:
        return state, text(say("photo_limit", state.lang, n=MAX_PHOTOS))
    added = replace(state, photos=(*state.photos, message.media_id))
    return added, text(say("photo_added", state.lang, n=len(added.photos)))


def _on_photo(state: State, message: Incoming, _: list[Category]) -> Outcome:
    if message.kind == "image":
        added, _said = _with_photo(state, message)
        return Outcome(replace(added, step="location"), [text(say("ask_location", state.lang))])
    if (message.kind == "choice" and message.choice == "skip") or word(message) in SKIP_WORDS:
        return Outcome(replace(state, step="location"), [text(say("ask_location", state.lang))])
    return Outcome(state, [_photo_question(state.lang)])


def _on_location(state: State, message: Incoming, categories: list[Category], city: City
                 ) -> Outcome:
    if message.kind == "image":  # several photos sent at once
        added, said = _with_photo(state, message)
        return Outcome(added, [said])
    if message.kind != "location" or message.lat is None or message.lon is None:
        return Outcome(state, [text(say("ask_location", state.lang))])
    if not city.contains(message.lat, message.lon):
        return Outcome(state, [text(say("outside_city", state.lang, city=city.name))])
    place: dict[str, Any] = {"lat": message.lat, "lon": message.lon}
    if message.address.strip():
        place["address"] = message.address.strip()[:300]
    moved = replace(state, step="confirm", location=place)
    return Outcome(moved, [_summary(moved, categories)])


def _summary(state: State, categories: list[Category]) -> dict[str, Any]:
    lang = state.lang
    place = state.location or {}
    where = place.get("address") or (f"{place['lat']:.5f}, {place['lon']:.5f}"
                                     if "lat" in place else say("no_point", lang))
    body = say("summary", lang, category=_name(state.category, categories, lang),
               description=state.description[:300], photos=len(state.photos), location=where)
    return buttons(body, [("confirm", say("send", lang)), ("cancel", say("cancel", lang))])


def _on_confirm(state: State, message: Incoming, categories: list[Category]) -> Outcome:
    if message.kind == "image":
        added, said = _with_photo(state, message)
        return Outcome(added, [said, _summary(added, categories)])
    if message.kind == "choice" and message.choice == "cancel":
        return Outcome(State(lang=state.lang, last_code=state.last_code),
                       [text(say("cancelled", state.lang))])
    if (message.kind == "choice" and message.choice == "confirm") or \
            word(message) in CONFIRM_WORDS:
        report = {"category": state.category, "description": state.description,
                  "location": state.location}
        return Outcome(replace(state, step="filing"), [],
                       Filing(report=report, photos=state.photos))
    return Outcome(state, [text(say("confirm_again", state.lang))])
