"""`flask` commands for operators: admins, session pruning, and a token inspector."""

import json
import time
from datetime import UTC, datetime

import click
import jwt as pyjwt
from flask import Flask, current_app
from flask.cli import with_appcontext
from jwt.types import Options
from sqlalchemy import select

from db import db
from models import LoginSession, User, username_key
from schemas import UserCreateSchema
from security.keys import Key, KeyRing, keyring
from security.passwords import hash_password
from security.sessions import prune_expired_sessions
from security.tokens import REQUIRED_CLAIMS

NO_TIME_CHECKS: Options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


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


def _relative(seconds: float) -> str:
    """'in 15 minutes' or '3 hours ago', rounded down to the largest whole unit."""
    amount = abs(int(seconds))
    if amount == 0:
        return "just now"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if amount >= size or unit == "second":
            count = amount // size
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            break
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _when(value, now: float) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"{value!r} (not a number of seconds)"
    stamp = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({_relative(value - now)})"


def _signed_by(token: str, keys: KeyRing) -> Key | None:
    """Which configured key made the signature, whatever the header claims."""
    for key in keys.by_kid.values():
        try:
            pyjwt.decode(token, key.secret, algorithms=["HS256"], options=NO_TIME_CHECKS)
        except pyjwt.InvalidSignatureError:
            continue
        except pyjwt.InvalidTokenError:  # e.g. a non-numeric exp: the key is right
            return key
        return key
    return None


def _key(token: str, header: dict) -> str:
    """The `Key:` line: the configured key that signed the token, if any."""
    signer = _signed_by(token, keyring())
    if signer is None:
        return "unknown (none of this app's keys signed it)"
    if "kid" not in header:
        return f"{signer.name} (no kid: issued before key ids)"
    return signer.name


def _signature(token: str, header: dict) -> tuple[bool, str]:
    """Does the token carry this app's HS256 signature, by the key its `kid` names?"""
    algorithm = header.get("alg")
    if algorithm != "HS256":
        return False, f"not checked: algorithm {algorithm!r}, this app accepts HS256 only"
    try:
        key = keyring().verifying_key(header)
    except pyjwt.InvalidTokenError:
        return False, f"INVALID: kid {header['kid']!r} names no configured key (removed?)"
    try:
        pyjwt.decode(token, key.secret, algorithms=["HS256"], options=NO_TIME_CHECKS)
    except pyjwt.InvalidSignatureError:
        if "kid" not in header:
            return False, "INVALID: no kid, so only JWT_SECRET_KEY may verify it, and it does not"
        return False, "INVALID: tampered with, or signed with another key"
    except pyjwt.InvalidTokenError as error:  # e.g. a non-numeric exp
        return False, f"INVALID: {error}"
    if key.name == "current":
        return True, "valid (HS256 with this app's JWT_SECRET_KEY)"
    return True, f"valid (HS256 with {key.name} of JWT_PREVIOUS_SECRET_KEYS)"


def _session(claims: dict) -> tuple[bool, str]:
    """Is the token's login session (its `sid`) still live? (ok, explanation)"""
    sid = claims.get("sid")
    if not isinstance(sid, str):
        return False, "no `sid` claim: not a token of this app"
    session = db.session.get(LoginSession, sid)
    if session is None:
        return False, f"REVOKED: login session {sid} has ended (logout, replay, password change)"
    if str(session.user_id) != claims.get("sub"):
        return False, f"REVOKED: login session {sid} belongs to another user"
    if claims.get("type") == "refresh" and session.refresh_jti != claims.get("jti"):
        grace = current_app.config["JWT_REFRESH_GRACE_SECONDS"].total_seconds()
        if session.previous_jti == claims.get("jti") and session.rotated_at + grace >= time.time():
            until = _when(session.rotated_at + grace, time.time())
            return True, (
                f"spent, but in the grace window until {until}: another tab gets a pair; "
                f"after that it ends login session {sid}"
            )
        return False, f"SPENT: already traded in; using it again ends login session {sid}"
    return True, f"live (login session {sid})"


@jwt_group.command("inspect")
@with_appcontext
@click.argument("token")
def inspect_token(token: str) -> None:
    """Decode TOKEN and say whether this app would accept it, and why (not).

    Prints the header and payload, the times in words, which of this app's keys signed
    it ("current", "previous #n" of JWT_PREVIOUS_SECRET_KEYS, or "unknown"), whether the
    signature verifies with the key its `kid` names and whether the token's login
    session still exists (or, for a refresh token, whether it is spent).
    Exits 0 for any readable token and 1 when TOKEN is not a JWT at all.
    """
    token = token.strip().removeprefix("Bearer ").strip()
    try:
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.InvalidTokenError as error:
        raise click.ClickException(
            f"not a JWT ({error}): expected three base64url parts, header.payload.signature"
        ) from None

    now = time.time()
    click.echo("Header:")
    click.echo(json.dumps(header, indent=2, sort_keys=True))
    click.echo("Payload:")
    click.echo(json.dumps(claims, indent=2, sort_keys=True))

    problems = []
    kind = claims.get("type", "?")
    if kind == "access":
        kind += " (fresh)" if claims.get("fresh") else " (not fresh)"
    if claims.get("is_admin"):
        kind += ", admin"
    rows = [("Type", kind), ("User id", claims.get("sub", "?"))]
    for label, claim in (("Issued", "iat"), ("Valid from", "nbf"), ("Expires", "exp")):
        if claim in claims:
            rows.append((label, _when(claims[claim], now)))
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires <= now:
        problems.append("expired")
        rows.append(("Expired", "YES"))
    elif isinstance(expires, int | float):
        rows.append(("Expired", "no"))
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > now:
        problems.append("not valid yet")

    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        problems.append(f"missing claim(s) {', '.join(missing)}")
    rows.append(("Key", _key(token, header)))
    signed, signature_text = _signature(token, header)
    rows.append(("Signature", signature_text))
    if not signed:
        problems.append("bad signature")
    live, session_text = _session(claims)
    rows.append(("Session", session_text))
    if not live:
        problems.append(session_text.split(":")[0].lower())

    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        click.echo(f"{label + ':':<{width}}{value}")
    if problems:
        click.echo(f"Verdict: REJECTED ({'; '.join(problems)})")
    else:
        click.echo("Verdict: accepted by this app")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(prune_tokens)
    app.cli.add_command(jwt_group)
