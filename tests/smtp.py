"""A real SMTP server in the test process (aiosmtpd), which the app reaches only through
MAIL_URL: plain, STARTTLS or TLS with a certificate the tests make, optional AUTH, and
answers chosen per recipient (451 to retry, 550 to refuse)."""

import asyncio
import email
import email.policy
import re
import ssl
import subprocess
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.server import free_port

USER, SECRET = "mailer", "mail-password"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (what SSL_CERT_FILE then trusts)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Handler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.answers: dict[str, str] = {}  # recipient -> an SMTP reply other than 250
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == SECRET.encode()
    return AuthResult(success=ok)


class SmtpServer:
    """aiosmtpd on a free port (kept across stop/start, so a stopped server is an outage
    of the same MAIL_URL). mode: plain, starttls or tls."""

    def __init__(self, folder: Path, mode: str = "plain", auth: bool = False):
        self.mode, self.auth = mode, auth
        self.port = free_port()
        self.handler = Handler()
        self.context = None
        if mode != "plain":
            cert, key = certificate(folder)
            self.cert = cert
            self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.context.load_cert_chain(cert, key)
        self.controller = None

    @property
    def url(self) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.mode]
        userinfo = f"{USER}:{SECRET}@" if self.auth else ""
        return f"{scheme}://{userinfo}127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        kwargs = {}
        if self.auth:
            kwargs |= {"authenticator": authenticate, "auth_required": True}
        if self.mode == "starttls":
            kwargs |= {"tls_context": self.context, "require_starttls": True}
        self.loop = asyncio.new_event_loop()  # closed by stop(): aiosmtpd leaves its own open
        self.controller = Controller(
            self.handler,
            loop=self.loop,
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=self.context if self.mode == "tls" else None,
            **kwargs,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
            self.loop.close()

    @property
    def messages(self) -> list:
        with self.handler.lock:
            return list(self.handler.messages)

    def wait_for(self, count: int, timeout: float = 20) -> list:
        """The first `count` messages, once they have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} mails arrived"
            time.sleep(0.05)
        return self.messages


def token_in(message, kind: str) -> str:
    """The token of a verify or reset link in a received mail."""
    body = message.get_content() if hasattr(message, "get_content") else message
    return re.search(rf"#{kind}=([A-Za-z0-9_-]+)", body).group(1)
