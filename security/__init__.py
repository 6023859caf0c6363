"""The security core, one module a concern:

- tokens: what a JWT must carry, how it is checked, the exact 401 bodies;
- keys: the signing key and the ones that only verify, each named by its `kid`;
- sessions: login sessions, the database state that revokes tokens;
- (the decorators views put on themselves live in web/blueprint.py);
- passwords: argon2id hashing; limits: rate limits; commands: the operator's CLI.
"""

from flask import Flask

from security import commands, keys, limits, passwords, tokens


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered: the rate limits wrap their views."""
    keys.init_app(app)  # a missing, unreadable or clashing key stops start-up here
    tokens.jwt.init_app(app)
    passwords.init_app(app)
    limits.init_app(app)
    commands.init_app(app)
