"""MAIL_URL: where mail goes. `smtp://user:pass@host:port` (plain), `smtp+starttls://`
(refuses to go on when the server offers no STARTTLS), `smtps://` (TLS from the first
byte); certificates are verified against the system's CAs (SSL_CERT_FILE to add one).
`outbox:` writes each mail as an .eml file to the instance folder's outbox/ instead."""

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 10  # seconds for one SMTP conversation step; well inside the worker's lease


class Retry(Exception):
    """The server could not take the mail now (connection failure, 4xx): try again later."""


class GiveUp(Exception):
    """The server refused the mail for good (5xx): retrying cannot help."""


def check(config) -> None:
    """Start-up: a MAIL_URL the app understands, and a FRONTEND_URL with a mail server,
    since links are built from it alone."""
    url = config["MAIL_URL"]
    if not url or url == "outbox:":
        return
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise RuntimeError(
            "MAIL_URL must be smtp://, smtp+starttls:// or smtps://user:pass@host:port, "
            f"or outbox:; got a {parts.scheme or 'schemeless'} URL"
        )
    if not config["FRONTEND_URL"]:
        raise RuntimeError(
            "FRONTEND_URL must be set with a mail server: links in mails are built from it"
        )


def where(url: str) -> str:
    """MAIL_URL without its password, for the log."""
    parts = urlsplit(url)
    return (
        url
        if url == "outbox:"
        else f"{parts.scheme}://{parts.hostname}:{parts.port or SCHEMES[parts.scheme]}"
    )


def message(mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.recipient
    msg["Subject"] = mail.subject
    # One Message-ID per outbox row: a mail sent twice would show as such.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<mail-{mail.id}-{mail.created_at}@{domain}>"
    # Plain ASCII stays as written (7bit), so a link in an .eml file can be copied or
    # grepped whole; anything else is quoted-printable, which every server takes.
    msg.set_content(mail.body, cte="7bit" if mail.body.isascii() else "quoted-printable")
    return msg


def send(url: str, msg: EmailMessage, outbox: Path) -> str:
    """Deliver one message; where it went (for the log). Raises Retry or GiveUp."""
    if url == "outbox:":
        return write_eml(msg, outbox)
    parts = urlsplit(url)
    context = ssl.create_default_context()
    port = parts.port or SCHEMES[parts.scheme]
    host = parts.hostname or "localhost"
    server: smtplib.SMTP
    try:
        if parts.scheme == "smtps":
            server = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with server:
            if parts.scheme == "smtp+starttls":
                server.starttls(context=context)  # SMTPNotSupportedError when not offered
            if parts.username:
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(msg)
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        shown = text.decode(errors="replace") if isinstance(text, bytes) else text
        reason = f"{code} {shown}"
        raise (GiveUp if code >= 500 else Retry)(reason) from error
    except smtplib.SMTPResponseException as error:
        said = error.smtp_error
        shown = said.decode(errors="replace") if isinstance(said, bytes) else said
        reason = f"{error.smtp_code} {shown}"
        raise (GiveUp if error.smtp_code >= 500 else Retry)(reason) from error
    except (OSError, smtplib.SMTPException) as error:  # refused, timed out, TLS, no STARTTLS
        raise Retry(f"{type(error).__name__}: {error}") from error
    return f"{parts.hostname}:{port}"


def write_eml(msg: EmailMessage, outbox: Path) -> str:
    """One .eml file per mail, written whole (renamed into place) so a reader never sees half."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = msg["Message-ID"].strip("<>").split("@")[0] + ".eml"
    temporary = outbox / f".{name}.tmp"
    temporary.write_bytes(bytes(msg))
    os.replace(temporary, outbox / name)
    return str(outbox / name)
