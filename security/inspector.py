"""What `flask jwt inspect` finds in a token: data, one small check a concern, that the
command prints (security/commands.py). Each check says what it saw and, when the app
would refuse the token for it, the problem in a word or two."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt as pyjwt
from flask import current_app
from jwt.types import Options

from db import db
from models import LoginSession
from security.keys import Key, KeyRing, keyring
from security.tokens import REQUIRED_CLAIMS, check_issuer_and_audience

# The claims' form only: times, issuer and audience are reported on their own lines.
CLAIMS_FORM: Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
}


@dataclass
class Check:
    text: str
    problem: str | None = None  # None: this check lets the token through


@dataclass
class Report:
    header: dict
    claims: dict
    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, label: str, check: Check) -> None:
        self.rows.append((label, check.text))
        if check.problem:
            self.problems.append(check.problem)


def read(token: str) -> tuple[dict, dict]:
    """Header and claims, unverified; InvalidTokenError when it is not a JWT at all."""
    token = token.strip().removeprefix("Bearer ").strip()
    return pyjwt.get_unverified_header(token), pyjwt.decode(
        token, options={"verify_signature": False}
    )


def relative(seconds: float) -> str:
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


def when(value, now: float) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return f"{value!r} (not a number of seconds)"
    stamp = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({relative(value - now)})"


def kind(claims: dict) -> Check:
    text = claims.get("type", "?")
    if text == "access":
        text += " (fresh)" if claims.get("fresh") else " (not fresh)"
    if claims.get("is_admin"):
        text += ", admin"
    return Check(text)


def times(claims: dict, now: float) -> list[tuple[str, Check]]:
    rows = [
        (label, Check(when(claims[claim], now)))
        for label, claim in (("Issued", "iat"), ("Valid from", "nbf"), ("Expires", "exp"))
        if claim in claims
    ]
    expires = claims.get("exp")
    if isinstance(expires, int | float):
        rows.append(("Expired", Check("YES", "expired") if expires <= now else Check("no")))
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not_before > now:
        rows.append(("Valid yet", Check("no", "not valid yet")))
    return rows


def claims_present(claims: dict) -> Check | None:
    missing = [claim for claim in REQUIRED_CLAIMS if claim not in claims]
    if missing:
        return Check(", ".join(missing), f"missing claim(s) {', '.join(missing)}")
    return None


def audience(claims: dict) -> Check:
    """The token's `iss` and `aud` against this app's (absent: issued before them)."""
    config = current_app.config
    shown = f"iss {claims.get('iss', '-')!r}, aud {claims.get('aud', '-')!r}"
    try:
        check_issuer_and_audience(claims, config)
    except pyjwt.InvalidIssuerError:
        return Check(f"{shown}: this app is {config['JWT_ISSUER']!r}", "another issuer")
    except pyjwt.InvalidAudienceError:
        return Check(f"{shown}: this app is {config['JWT_AUDIENCE']!r}", "another audience")
    return Check(f"{shown}: this app's")


def signs(token: str, key: Key) -> bool:
    """Did this key, with its one algorithm, make the token's signature?"""
    try:
        pyjwt.PyJWS().decode(token, key.verifying, algorithms=[key.algorithm])
    except pyjwt.PyJWTError:
        return False
    return True


def describe(key: Key) -> str:
    if key.name == "current":
        return f"{key.algorithm} with this app's {key.source}"
    return f"{key.algorithm} with {key.name} of {key.source}"


def signer(token: str, header: dict, ring: KeyRing) -> Check:
    """Which configured key made the signature, whatever the header claims."""
    found = next((key for key in ring.by_kid.values() if signs(token, key)), None)
    if found is None:
        return Check("unknown (none of this app's keys signed it)")
    if "kid" not in header:
        return Check(f"{found.name} (no kid: issued before key ids)")
    return Check(found.name)


def signature(token: str, header: dict, ring: KeyRing) -> Check:
    """Does the key (and algorithm) the token's `kid` names verify it, as the API would?"""
    bad = "bad signature"
    algorithm = header.get("alg")
    if algorithm not in ring.algorithms:
        accepted = ", ".join(ring.algorithms)
        return Check(f"not checked: algorithm {algorithm!r}, this app accepts {accepted} only", bad)
    try:
        key = ring.verifying_key(header)
    except pyjwt.InvalidAlgorithmError as error:
        return Check(f"INVALID: {error}, the token says {algorithm} (algorithm confusion)", bad)
    except pyjwt.InvalidTokenError:
        if "kid" not in header:
            return Check("INVALID: no kid, accepted only in HS256 mode", bad)
        return Check(f"INVALID: kid {header['kid']!r} names no configured key (removed?)", bad)
    if not signs(token, key):
        if "kid" not in header:
            return Check(
                "INVALID: no kid, so only JWT_SECRET_KEY may verify it, and it does not", bad
            )
        return Check("INVALID: tampered with, or signed with another key", bad)
    try:
        pyjwt.decode(token, key.verifying, algorithms=[key.algorithm], options=CLAIMS_FORM)
    except pyjwt.InvalidTokenError as error:  # e.g. a non-numeric exp
        return Check(f"INVALID: {error}", bad)
    return Check(f"valid ({describe(key)})")


def session(claims: dict) -> Check:
    """Is the token's login session (its `sid`) still live?"""
    sid = claims.get("sid")
    if not isinstance(sid, str):
        return Check("no `sid` claim: not a token of this app", "no `sid` claim")
    row = db.session.get(LoginSession, sid)
    if row is None:
        return Check(
            f"REVOKED: login session {sid} has ended (logout, replay, password change)", "revoked"
        )
    if str(row.user_id) != claims.get("sub"):
        return Check(f"REVOKED: login session {sid} belongs to another user", "revoked")
    if claims.get("type") == "refresh" and row.refresh_jti != claims.get("jti"):
        grace = current_app.config["JWT_REFRESH_GRACE_SECONDS"].total_seconds()
        until = row.rotated_at + grace
        if row.previous_jti == claims.get("jti") and until >= time.time():
            return Check(
                f"spent, but in the grace window until {when(until, time.time())}: "
                f"another tab gets a pair; after that it ends login session {sid}"
            )
        return Check(f"SPENT: already traded in; using it again ends login session {sid}", "spent")
    return Check(f"live (login session {sid})")


def inspect(token: str) -> Report:
    """Everything `flask jwt inspect` says about a token, in the order it says it."""
    header, claims = read(token)
    token = token.strip().removeprefix("Bearer ").strip()
    ring, now = keyring(), time.time()
    report = Report(header, claims)
    report.add("Type", kind(claims))
    report.add("User id", Check(str(claims.get("sub", "?"))))
    for label, check in times(claims, now):
        report.add(label, check)
    missing = claims_present(claims)
    if missing:
        report.add("Missing", missing)
    report.add("Issuer", audience(claims))
    report.add("Key", signer(token, header, ring))
    report.add("Signature", signature(token, header, ring))
    report.add("Session", session(claims))
    return report
