"""`flask mfa reset USERNAME`: the operator's way back in for a user who lost both the
phone and the recovery codes (after checking who is asking, outside this API)."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from db import db
from mfa import enrolment
from models import User, username_key

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
