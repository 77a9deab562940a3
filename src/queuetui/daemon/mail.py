"""Alert notices by email: one message per notice over SMTP, STARTTLS and login when configured."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from queuetui.config import SmtpSettings
from queuetui.daemon.notify import Notice


def smtp_url(smtp: SmtpSettings) -> str:
    """Where mail goes, for log lines (no credentials)."""
    return f"smtp://{smtp.host}:{smtp.port}"


def message(smtp: SmtpSettings, to: tuple[str, ...], notice: Notice) -> EmailMessage:
    """The email for an alert notice: the one-line message as subject, the details as body."""
    payload = notice.payload
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = (
        f"[queuetui] {str(payload.get('event', '')).upper()} {payload.get('alert')}: {payload.get('message')}"
    )
    lines = [str(payload.get("message", "")), ""]
    lines += [
        f"{key}: {value}" for key, value in payload.items() if key != "message" and value not in (None, "")
    ]
    mail.set_content("\n".join(lines) + "\n")
    return mail


def sender(smtp: SmtpSettings, to: tuple[str, ...]) -> Callable[[Notice, float], str]:
    """A Notifier `deliver` function mailing each notice to `to`; '' once the server accepted it."""

    def deliver(notice: Notice, timeout: float) -> str:
        mail = message(smtp, to, notice)
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=min(timeout, smtp.timeout)) as client:
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                if smtp.username:
                    client.login(smtp.username, smtp.password)
                refused = client.send_message(mail)
        except smtplib.SMTPNotSupportedError:
            return "the server does not offer STARTTLS (set starttls = false, or use its TLS port)"
        except smtplib.SMTPAuthenticationError as exc:
            return f"login refused: {exc.smtp_code} {_reply(exc.smtp_error)} (check username and password)"
        except smtplib.SMTPResponseException as exc:
            return f"SMTP {exc.smtp_code} {_reply(exc.smtp_error)}"
        except (smtplib.SMTPException, OSError) as exc:
            return " ".join(str(exc).split()) or type(exc).__name__
        if refused:
            return f"refused recipients: {', '.join(sorted(refused))}"
        return ""

    return deliver


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())
