"""The one logger: JSON lines carrying the request id of whatever is being handled."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if extra:
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RedactingJsonFormatter(JsonFormatter):
    """For processes that handle people's contacts: no address or number leaves in clear,
    whatever a message, an argument or a traceback quoted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_contacts(super().format(record))


def setup_logging(service: str, level: str = "INFO", redact: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingJsonFormatter(service) if redact else JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pika").setLevel(logging.WARNING)


def mask_email(address: str) -> str:
    """Keeps enough of an address to tell deliveries apart, never enough to contact anyone."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """The last three digits only: enough to tell two numbers apart in a log."""
    digits = re.sub(r"\D", "", number)
    return f"***{digits[-3:]}" if len(digits) >= 6 else "***"


_EMAIL = re.compile(r"[^@\s<>\"'(),;:]+@[^@\s<>\"'(),;:]+\.[A-Za-z]{2,}")
# Numbers written the way people write phone numbers (+62…, 08…): dates, ports and counts
# (which start with other digits) are left alone.
_PHONE = re.compile(r"(?<![\w+])(?:\+|0)\d[\d -]{6,16}\d")


def redact_contacts(text: str) -> str:
    """Masks every email address and phone number in free text (errors of SMTP servers and
    SMS providers often quote the recipient) before it is logged or stored."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
