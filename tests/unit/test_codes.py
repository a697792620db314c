"""Tracking codes: random, readable, and the look-ups' pattern."""

from __future__ import annotations

import math
import re

from aduan.domain.codes import ALPHABET, CODE_PATTERN, MAX_LENGTH, new_code, normalise, well_formed


def test_a_code_is_the_prefix_the_year_and_three_groups_of_readable_symbols():
    code = new_code("PDG", 2026)
    assert re.fullmatch(r"PDG-2026-[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", code)
    assert not set("01OIL") & set(code.split("-", 2)[2])
    assert well_formed(code) and len(code) <= MAX_LENGTH


def test_the_random_part_carries_more_than_forty_bits_and_does_not_repeat():
    assert 9 * math.log2(len(ALPHABET)) > 44
    codes = {new_code("DPK", 2026) for _ in range(10_000)}
    assert len(codes) == 10_000


def test_look_ups_accept_new_and_old_codes_and_nothing_else():
    assert well_formed("PDG-2026-7KQ-4M9-X2A") and well_formed("PDG-2026-000001")
    assert well_formed(normalise(" pdg-2026-7kq-4m9-x2a "))
    for bad in ("PDG-2026-7KQ-4M9-X2", "PDG-2026-7KQ-4M9-X2O", "PDG-2026-0KQ-4M9-X2A",
                "PDG-2026-12345", "PDG-2026-000001,PDG-2026-000002", "$ne", "",
                "PDG-2026-7KQ-4M9-X2A" + "-ABC" * 10):
        assert not well_formed(bad), bad
    assert re.fullmatch(CODE_PATTERN, "KTG-2027-ABC-DEF-GHJ")
