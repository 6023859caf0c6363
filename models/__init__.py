"""SQLAlchemy models, one a file.

Every module of this package is imported here, so a new model's table is known to
SQLAlchemy and to Alembic's autogenerate without editing this file. The names below are
the ones other code imports from `models`; a new model may be imported from its own module.
"""

import importlib
import pkgutil

from models.email_token import EmailToken
from models.item import Item
from models.item_tag import items_tags
from models.login_session import LoginSession
from models.mail import Mail
from models.mfa_credential import MfaCredential
from models.mfa_failure import MfaFailure
from models.mfa_login import MfaLogin
from models.recovery_code import RecoveryCode
from models.store import Store
from models.tag import Tag
from models.user import User, email_key, username_key

__all__ = [
    "EmailToken",
    "Item",
    "LoginSession",
    "Mail",
    "MfaCredential",
    "MfaFailure",
    "MfaLogin",
    "RecoveryCode",
    "Store",
    "Tag",
    "User",
    "email_key",
    "items_tags",
    "username_key",
]

for module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{module.name}")
