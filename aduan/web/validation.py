"""Input checks shared by every API: operator keys and pydantic errors in the one error format."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from aduan.web.errors import ApiError

Model = TypeVar("Model", bound=BaseModel)


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


def find_operator_key(value: Any, path: str = "") -> str | None:
    """The path of the first `$`-prefixed or dotted key anywhere in `value`, if any."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or key.startswith("$") or "." in key:
                return here
            found = find_operator_key(item, here)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_operator_key(item, f"{path}[{index}]")
            if found:
                return found
    return None


def parse_json_object(raw: str | bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "invalid_json", f"{what} is not valid JSON.", str(err)) from err
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_json", f"{what} must be a JSON object.")
    bad = find_operator_key(value)
    if bad:
        raise ApiError(
            400, "forbidden_key", "Keys may not start with '$' or contain '.'.", {"key": bad}
        )
    return value


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        controls = [e for e in err.errors(include_url=False, include_input=False)
                    if e["type"] == CONTROL_CHARACTER]
        if controls:
            field = controls[0].get("ctx", {}).get("field")
            raise ApiError(422, CONTROL_CHARACTER,
                           "Text may hold line breaks and tabs but no other control "
                           "characters.", {"field": field}) from err
        details = [
            {
                "field": ".".join(str(p) for p in e["loc"]),
                "problem": e["type"],
                "message": e["msg"],
            }
            for e in err.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "validation_failed", "Some fields are missing or invalid.",
                       details) from err
