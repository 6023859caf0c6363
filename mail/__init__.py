"""Mail that no outage loses and no request waits on, one module a job:

- compose: the plain-text mails, with links built from FRONTEND_URL only;
- outbox: writes a mail into the `mails` table, in the transaction of its cause;
- transport: MAIL_URL (smtp, smtp+starttls, smtps, or outbox: for .eml files);
- worker: claims due mails with a lease, sends them, retries or gives up (`flask mail worker`).
"""

from flask import Flask

from mail import transport, worker


def init_app(app: Flask) -> None:
    """Refuse a mail server without FRONTEND_URL; start the in-process worker if asked."""
    transport.check(app.config)
    worker.init_app(app)
