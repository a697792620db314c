"""Email over SMTP (STARTTLS and credentials when configured)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from aduan.config import Settings
from services.notification.templates import Rendered


def send_email(settings: Settings, to: str, message: Rendered, message_id: str) -> None:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = to
    email["Subject"] = message.subject
    email["Message-ID"] = f"<{message_id}@aduan>"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(email)
