"""Search keywords: the text index SecantusDB lacks, as an indexed array of normalised words.
The same function builds a report's keywords and a query's, so they always match."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
MIN_LENGTH = 3
MAX_KEYWORDS = 200


def keywords(*texts: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        for word in _WORD.findall(folded):
            if len(word) >= MIN_LENGTH:
                seen.setdefault(word, None)
    return list(seen)[:MAX_KEYWORDS]
