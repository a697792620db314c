"""Email over SMTP: plain, STARTTLS or SMTPS, and credentials when configured.

With TLS the server's certificate and host name are always verified (the system's CAs, or
`smtp_ca_file` for a city's own mail server): the password and the reporters' addresses
must never go to whoever answers on the mail server's address. STARTTLS is required once
configured: a server that does not offer it gets nothing.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from email import policy
from email.message import EmailMessage

from aduan.infra.config import Settings
from services.notification.deliveries import DeliveryFailed, DeliveryRejected
from services.notification.templates import Rendered

# Headers unfolded up to RFC 5322's hard limit: Python folds a long subject right after
# "Subject:", which some readers then show with a leading space.
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


def build_email(settings: Settings, to: str, message: Rendered, message_id: str
                ) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message_id}@aduan>"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def send_email(settings: Settings, to: str, message: Rendered, message_id: str) -> str:
    """Sends one message; returns the server's reply to it (e.g. "250 2.0.0 queued as X").

    Raises DeliveryRejected when the server refuses the recipient or the message for good
    (5xx) and DeliveryFailed for anything that may pass; neither quotes the address."""
    email = build_email(settings, to, message, message_id)
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            return _transmit(smtp, settings.smtp_from, to, email)
    except (DeliveryRejected, DeliveryFailed):
        raise
    except smtplib.SMTPResponseException as err:
        raise DeliveryFailed(f"SMTP {err.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as err:
        raise DeliveryFailed(f"SMTP unreachable: {type(err).__name__}") from None


# A connection idle longer than this is closed and a new one opened: servers drop idle clients
# (RFC 5321 asks them to wait 5 minutes at least; many wait less).
IDLE_S = 30.0


class SmtpConnection:
    """One SMTP connection kept open across messages (a worker sends one after another), opened
    (TLS, login) when the first message comes and again after a failure. A connection the
    server dropped while idle is found out at MAIL or RCPT, before the message went: then the
    message goes over a new connection at once. Thread-safe: one message at a time."""

    def __init__(self, settings: Settings, idle_s: float = IDLE_S) -> None:
        self.settings = settings
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0

    def send(self, to: str, message: Rendered, message_id: str) -> str:
        """As `send_email`: the server's reply; DeliveryRejected or DeliveryFailed."""
        email = build_email(self.settings, to, message, message_id)
        with self._lock:
            if self._smtp is not None and time.monotonic() - self._used_at > self.idle_s:
                self._close()
            for attempt in (1, 2):
                reused = self._smtp is not None
                steps: list[str] = []
                try:
                    smtp = self._smtp or self._open()
                    self._smtp = smtp
                    reply = _transmit(smtp, self.settings.smtp_from, to, email, steps)
                    self._used_at = time.monotonic()
                    return reply
                except DeliveryRejected:
                    if smtp.sock is None:  # it hung up after refusing: open anew next time
                        self._close()
                    self._used_at = time.monotonic()  # the server answered; the link is sound
                    raise
                except DeliveryFailed:
                    self._close()
                    raise
                except smtplib.SMTPResponseException as err:
                    self._close()
                    raise DeliveryFailed(f"SMTP {err.smtp_code}") from None
                except (smtplib.SMTPException, OSError) as err:
                    self._close()
                    if reused and attempt == 1 and "DATA" not in steps:
                        continue  # dropped while idle: nothing of the message went
                    raise DeliveryFailed(f"SMTP unreachable: {type(err).__name__}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> smtplib.SMTP:
        smtp = _connect(self.settings)
        try:
            if self.settings.smtp_user:
                smtp.login(self.settings.smtp_user, self.settings.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the certificate chain and the host name (`create_default_context` does)."""
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.smtp_ssl:
        return smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=10,
                                context=tls_context(settings))
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
    if settings.smtp_starttls:
        try:
            smtp.starttls(context=tls_context(settings))
        except BaseException:
            smtp.close()
            raise
    return smtp


def _transmit(smtp: smtplib.SMTP, sender: str, to: str, email: EmailMessage,
              started: list[str] | None = None) -> str:
    """MAIL, RCPT, DATA one by one, so that the reply to each is known; `started` gets the
    name of each step as it begins."""
    smtp.ehlo_or_helo_if_needed()
    envelope_from = email["From"].addresses[0].addr_spec if email["From"].addresses else sender
    steps = (("MAIL", lambda: smtp.mail(envelope_from)),
             ("RCPT", lambda: smtp.rcpt(to)),
             ("DATA", lambda: smtp.data(email.as_bytes(policy=WIRE_POLICY))))
    for name, step in steps:
        if started is not None:
            started.append(name)
        code, reply = step()
        if code >= 400:
            _reset(smtp)
            status = f"SMTP {name} {code}"
            if code >= 500:
                raise DeliveryRejected(status)
            raise DeliveryFailed(status)
    return f"{code} {reply.decode(errors='replace')}"[:200]


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET after a refusal, so the connection can carry the next message. A server that hung
    up after its reply makes it fail: the connection is closed (the next message opens a new
    one) and the refusal stands as the server gave it."""
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        smtp.close()
