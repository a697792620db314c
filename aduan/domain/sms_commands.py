"""What a resident's SMS asks for: a new report ("SAMPAH Jl. Sudirman depan pasar"), STOP /
MULAI, or anything else (a reply to a status message: a comment on their open report).

A report SMS starts with a category keyword. The keywords of a category are
- its `sms_keywords`: the catalogue document's, if a city set them (PATCH /categories/<code>),
  else the shipped table aduan/data/sms_keywords.json (read at each use, so no re-seeding is
  needed), e.g. PJU, LAMPU for street lights;
- its code and the first word of each of its names (SAMPAH, WASTE; JALAN; BANJIR, FLOODING),
  derived, unless two categories share that word (then neither gets it by derivation).
An explicit keyword always wins over a derived one. Case, accents and trailing punctuation
("Sampah:", "SAMPAH,") do not matter.

A number that filed an SMS report lately answers its status messages in plain words, which may
start with a keyword ("Air sudah masuk rumah", "Jalan sudah diperbaiki"): for it a keyword
counts only written in capitals ("AIR mati sejak pagi"), as the answers show them; anything
else is its reply (`capitals_only`).

"LAPOR" (or "ADUAN") may come first: "LAPOR SAMPAH ..." is "SAMPAH ...", and "LAPOR" followed
by no keyword files the words under `other`, for the operators to sort.

After the keyword: where and what. "KEYWORD <where> # <what>" splits them; without "#" the
whole rest is both the address operators start from and the description (a resident naming a
street says what and where at once; operators complete the point).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

STOP_WORDS = frozenset({"STOP", "BERHENTI", "UNREG"})
START_WORDS = frozenset({"MULAI", "START"})
PREFIX_WORDS = frozenset({"LAPOR", "ADUAN"})
FALLBACK_CATEGORY = "other"
SEPARATOR = "#"
# What intake takes (aduan/contracts/reports.py): a description of 10 to 2000 characters, an
# address of at most 300.
MIN_DESCRIPTION, MAX_DESCRIPTION, MAX_ADDRESS = 10, 2000, 300
MAX_KEYWORD = 20


@dataclass(frozen=True)
class Keyword:
    category: str
    language: str  # id | en: the language of the word, for the answers
    listed: bool = False  # one of the category's sms_keywords (not derived from its names)


@dataclass(frozen=True)
class NewReport:
    category: str
    description: str
    address: str | None
    language: str
    keyword: str = ""  # as the table has it, for the answers


@dataclass(frozen=True)
class Incomplete:
    """A keyword without (enough) words after it: the answer explains the format."""

    category: str
    language: str
    keyword: str  # as the table has it (the word the resident typed, in capitals)


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Other:
    """No keyword: a reply to a status message, or a message the answer explains."""

    text: str


Command = NewReport | Incomplete | Stop | Start | Other


def normalise_word(word: str) -> str:
    """"Sampah:" → "SAMPAH"; accents dropped, punctuation around the word stripped."""
    plain = unicodedata.normalize("NFKD", word)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"^[^\w]+|[^\w]+$", "", plain).upper()


def _first_word(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    word = normalise_word(name.split()[0])
    return word if 2 <= len(word) <= MAX_KEYWORD else None


def keyword_table(categories: Iterable[Mapping[str, Any]],
                  seed_keywords: Mapping[str, Iterable[str]] | None = None
                  ) -> dict[str, Keyword]:
    """KEYWORD → Keyword for a city's active categories (their catalogue documents);
    `seed_keywords`: each category code's keywords in the shipped seed."""
    seed_keywords = seed_keywords or {}
    explicit: dict[str, Keyword] = {}
    derived: dict[str, list[Keyword]] = {}
    for category in categories:
        code = category.get("code")
        if not isinstance(code, str) or category.get("active") is False:
            continue
        listed = category.get("sms_keywords")
        if not isinstance(listed, list):
            listed = list(seed_keywords.get(code, ()))
        for word in listed:
            key = normalise_word(str(word))
            if key:
                explicit.setdefault(key, Keyword(code, "id", listed=True))
        for word, language in ((code, "id"), (_first_word(category.get("name_id")), "id"),
                               (_first_word(category.get("name_en")), "en")):
            if word:
                key = normalise_word(word)
                found = derived.setdefault(key, [])
                if all(k.category != code for k in found):
                    found.append(Keyword(code, language))
    table = {key: found[0] for key, found in derived.items() if len(found) == 1}
    table.update(explicit)
    return table


def examples(table: Mapping[str, Keyword]) -> list[str]:
    """One keyword per category to show residents: the first of its listed ones."""
    order: dict[str, int] = {}
    shown: dict[str, str] = {}
    for word, keyword in table.items():
        order.setdefault(keyword.category, len(order))  # the catalogue's order
        if keyword.listed:
            shown.setdefault(keyword.category, word)
    return [shown[c] for c in sorted(shown, key=order.__getitem__)]


def _in_capitals(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def parse(text: str, table: Mapping[str, Keyword], capitals_only: bool = False) -> Command:
    """`capitals_only`: keywords count only in capitals (the sender has a recent report, so
    plain words are more likely a reply)."""
    text = " ".join(text.split())  # newlines and runs of spaces, as phones send them
    first, _, rest = text.partition(" ")
    word = normalise_word(first)
    if word in STOP_WORDS and not rest:
        return Stop()
    if word in START_WORDS and not rest:
        return Start()
    if capitals_only and not _in_capitals(first):
        return Other(text)
    keyword = table.get(word)
    if keyword is None and word in PREFIX_WORDS and rest:
        second, _, after = rest.partition(" ")
        word = normalise_word(second)
        keyword = table.get(word)
        if capitals_only and not _in_capitals(second):
            keyword = None
        if keyword is not None:
            rest = after
        elif FALLBACK_CATEGORY in {k.category for k in table.values()}:
            word, keyword = normalise_word(first), Keyword(FALLBACK_CATEGORY, "id")
    if keyword is None:
        return Other(text)
    rest = rest.strip()
    where, separated, what = rest.partition(SEPARATOR)
    where, what = where.strip(), what.strip()
    if not separated:
        what = rest
    if len(what) < MIN_DESCRIPTION and separated:
        what = " ".join(rest.replace(SEPARATOR, " ").split())
    if len(what) < MIN_DESCRIPTION:
        return Incomplete(keyword.category, keyword.language, word)
    address = where[:MAX_ADDRESS].strip() or None
    return NewReport(keyword.category, what[:MAX_DESCRIPTION], address, keyword.language, word)
