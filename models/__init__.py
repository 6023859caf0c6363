"""SQLAlchemy models, one a file."""

from models.item import Item
from models.item_tag import items_tags
from models.login_session import LoginSession
from models.store import Store
from models.tag import Tag
from models.user import User, username_key

__all__ = ["Item", "LoginSession", "Store", "Tag", "User", "items_tags", "username_key"]
