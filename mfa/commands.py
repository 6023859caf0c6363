"""`flask mfa reset USERNAME`: the operator's way back in for a user who lost both the
phone and the recovery codes (after checking who is asking, outside this API);
`flask mfa rotate-key`: every secret under the current encryption key."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from db import db
from mfa import crypto, enrolment
from models import MfaCredential, User, username_key

mfa = AppGroup("mfa", help="Two-factor login.")


@mfa.command("reset")
@click.argument("username")
def reset(username: str) -> None:
    """Turn two-factor login off for USERNAME and end every session of theirs."""
    user = db.session.execute(
        select(User).where(User.username_key == username_key(username))
    ).scalar_one_or_none()
    if user is None:
        raise click.UsageError(f"No user {username!r}.")
    enrolment.reset(user)
    db.session.commit()
    click.echo(f"Two-factor login is off for {user.username!r}; their sessions ended.")


@mfa.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every two-factor secret with the first MFA_ENCRYPTION_KEYS key, after
    which the keys behind it can be removed."""
    rows = db.session.execute(select(MfaCredential)).scalars().all()
    for row in rows:
        row.secret = crypto.rotate(row.secret)
    db.session.commit()
    click.echo(f"Re-encrypted {len(rows)} two-factor secret(s) with the first key.")
