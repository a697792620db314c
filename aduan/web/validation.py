"""Input checks shared by every API: operator keys and pydantic errors in the one error format."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from aduan.contracts.base import CONTROL_CHARACTER
from aduan.web.errors import ApiError

Model = TypeVar("Model", bound=BaseModel)


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
