"""The base of every request body: unknown fields refused, no coercion, no control characters."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

# Text keeps line feeds and tabs; CR LF (what a browser sends from a textarea) and a lone CR
# become LF. Every other control character is refused: C0 (NUL, ESC sequences that repaint a
# terminal showing a log, form feeds: all illegal in XML 1.0), DEL, C1 (U+0080-U+009F: no real
# text holds them, some terminals act on them, e.g. U+009B starts a control sequence), lone
# surrogates and U+FFFE/U+FFFF (not characters: neither UTF-8 nor XML can carry them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
CONTROL_CHARACTER = "control_character"


def clean_text(value: str) -> str:
    """`value` with line breaks normalised; ValueError if it holds any other control."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(value):
        raise ValueError("control character")
    return value


def replace_control_characters(value: str) -> str:
    """`value` with line breaks normalised and each control character `clean_text` refuses
    turned into a space: for text from outside kept rather than refused (an SMS, LAPOR!)."""
    return _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))


def _clean_strings(value: Any, path: str) -> Any:
    if isinstance(value, str):
        try:
            return clean_text(value)
        except ValueError:
            raise PydanticCustomError(
                CONTROL_CHARACTER, "{field} holds a control character.", {"field": path}
            ) from None
    if isinstance(value, dict):
        return {key: _clean_strings(item, f"{path}.{key}" if path else str(key))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_strings(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


class Strict(BaseModel):
    """Base of every request body: unknown fields refused, no type coercion, and no control
    characters in any text, however deep (see `clean_text`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        return _clean_strings(data, "")
