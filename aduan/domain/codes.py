"""Tracking codes: `PDG-2026-7KQ-4M9-X2A`, the city's prefix, the year and a random part.

The random part is nine characters of an alphabet without 0/O, 1/I/L (31 symbols, so
31**9 ≈ 2**44.6 codes per city and year), read out on the phone in three groups of three.
It is random rather than a sequence with a check part: a sequence would still tell anyone
how many reports a city receives and in what order, and a check part long enough to stop
guessing would make the code no shorter. Uniqueness is the `code` index's (the caller draws
again on a collision).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = 3
GROUP_SIZE = 3
MAX_LENGTH = 40
_RANDOM = f"[{ALPHABET}]{{{GROUP_SIZE}}}(?:-[{ALPHABET}]{{{GROUP_SIZE}}}){{{GROUPS - 1}}}"
# Codes handed out before the random part (a six-digit sequence) still find their report;
# they reveal no more than the public list does, as every look-up applies its rule.
_LEGACY = "[0-9]{6,9}"
CODE_PATTERN = rf"[A-Z]{{2,5}}-[0-9]{{4}}-(?:{_RANDOM}|{_LEGACY})"
_CODE = re.compile(rf"^{CODE_PATTERN}$")


def new_code(prefix: str, year: int) -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE))
              for _ in range(GROUPS))
    return f"{prefix}-{year}-{'-'.join(groups)}"


def normalise(code: str) -> str:
    """A code as typed (spaces around it, lower case) in its stored form."""
    return code.strip().upper()


def well_formed(code: str) -> bool:
    return len(code) <= MAX_LENGTH and _CODE.match(code) is not None
