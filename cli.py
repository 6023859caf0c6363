"""`flask` commands for operators."""

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from db import db
from models import User
from passwords import hash_password
from schemas import UserSchema
from tokens import prune_expired_sessions


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.password_option("--password", help="Only used when the user does not exist yet.")
def create_admin(username: str, password: str) -> None:
    """Create USERNAME as an admin, or promote the existing user."""
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        errors = UserSchema().validate({"username": username, "password": password})
        if errors:
            raise click.UsageError(str(errors))
        user = User(username=username, password=hash_password(password))
        db.session.add(user)
        verb = "Created"
    else:
        verb = "Promoted"
    user.is_admin = True
    db.session.commit()
    click.echo(f"{verb} admin {username!r} (id {user.id}).")


@click.command("prune-tokens")
@with_appcontext
def prune_tokens() -> None:
    """Delete expired login sessions; safe to run from cron while the app serves."""
    removed = prune_expired_sessions()
    db.session.commit()
    click.echo(f"Pruned {removed} expired login session(s).")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(prune_tokens)
