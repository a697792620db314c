"""Open311 answers and errors as JSON or XML, with the element names the spec uses."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

from flask import Response

FORMATS = ("json", "xml")
MIMETYPES = {"json": "application/json", "xml": "application/xml"}
# The spec names the element of each item of a list after the list.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# Characters XML 1.0 cannot hold at all, escaped or not. Input refuses them now, but text an
# earlier version stored may still hold some: they become U+FFFD, so every answer parses.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _fill(ElementTree.SubElement(element, name), item)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[element.tag]
        for item in value:
            _fill(ElementTree.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """`value` (a dict, or a list whose items are named after `root`) as a UTF-8 document."""
    element = ElementTree.Element(root)
    _fill(element, value)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + ElementTree.tostring(element, encoding="unicode").encode())


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    body = to_xml(root, value) if fmt == "xml" else json.dumps(value, ensure_ascii=False).encode()
    return Response(body, status=status, mimetype=MIMETYPES[fmt], content_type=None)


def render_errors(fmt: str, status: int, description: str) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status)
