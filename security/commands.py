"""`flask` commands for operators: admins, session pruning, and a token inspector."""

import json

import click
import jwt as pyjwt
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from db import db
from models import User, username_key
from schemas import UserCreateSchema
from security import inspector
from security.keys import new_private_key
from security.passwords import hash_password
from security.sessions import prune_expired_sessions


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.option(
    "--password",
    help="For a new user (asked for when missing). An existing user keeps their password.",
)
def create_admin(username: str, password: str | None) -> None:
    """Create USERNAME as an admin, or promote the existing user (no password asked)."""
    user = db.session.execute(
        select(User).where(User.username_key == username_key(username))
    ).scalar_one_or_none()
    if user is not None and password is not None:
        click.echo(f"{username!r} exists: their password is unchanged (--password ignored).")
    if user is None:
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        errors = UserCreateSchema().validate({"username": username, "password": password})
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


@click.group("jwt")
def jwt_group() -> None:
    """Look inside JSON Web Tokens (see docs/jwt.md)."""


@jwt_group.command("inspect")
@with_appcontext
@click.argument("token")
def inspect_token(token: str) -> None:
    """Decode TOKEN and say whether this app would accept it, and why (not).

    Prints the header and payload, the times in words, its issuer and audience, which
    of this app's keys signed it ("current", "previous #n" of JWT_PREVIOUS_SECRET_KEYS,
    "extra #n" of JWT_EXTRA_PUBLIC_KEYS, or "unknown"), whether the key and algorithm
    its `kid` names verify it, and whether its login session still exists (or, for a
    refresh token, whether it is spent). Exits 0 for any readable token and 1 when
    TOKEN is not a JWT at all.
    """
    try:
        report = inspector.inspect(token)
    except pyjwt.InvalidTokenError as error:
        raise click.ClickException(
            f"not a JWT ({error}): expected three base64url parts, header.payload.signature"
        ) from None
    click.echo("Header:")
    click.echo(json.dumps(report.header, indent=2, sort_keys=True))
    click.echo("Payload:")
    click.echo(json.dumps(report.claims, indent=2, sort_keys=True))
    width = max(len(label) for label, _ in report.rows) + 2
    for label, value in report.rows:
        click.echo(f"{label + ':':<{width}}{value}")
    if report.problems:
        click.echo(f"Verdict: REJECTED ({'; '.join(report.problems)})")
    else:
        click.echo("Verdict: accepted by this app")


@jwt_group.command("keygen")
@click.option(
    "--algorithm",
    type=click.Choice(["EdDSA", "ES256", "RS256"]),
    default="EdDSA",
    show_default=True,
)
def keygen(algorithm: str) -> None:
    """Print a new private key (PEM) for JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE.

    Keep it secret (a file of mode 0600); its public half is what GET
    /.well-known/jwks.json publishes (`openssl pkey -pubout` writes it for
    JWT_EXTRA_PUBLIC_KEYS). See docs/jwt.md, "Rotating a key pair".
    """
    click.echo(new_private_key(algorithm), nl=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(prune_tokens)
    app.cli.add_command(jwt_group)
