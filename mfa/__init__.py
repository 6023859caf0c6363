"""Two-factor login (API.md "Two-factor login"): TOTP codes (RFC 6238) and recovery codes.

- crypto: the TOTP secret encrypted with MFA_ENCRYPTION_KEYS, keyed hashes of codes;
- codes: checking and spending codes atomically, and wrong codes counted per account;
- enrolment: turning it on and off (and `flask mfa reset`), with the notices;
- login: the mfa_token between the password step and the code step;
- schemas: the request and response bodies of resources/mfa.py.
"""

from flask import Flask

from mfa import commands


def init_app(app: Flask) -> None:
    app.cli.add_command(commands.mfa)
