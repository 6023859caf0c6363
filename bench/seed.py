"""The benchmark's data: one user, 100 stores x 20 items x 2 tags (store 1 has 20 items),
and store 101, empty, for the write scenario: its items stay off the list's first page.

    python bench/seed.py    # into DATABASE_URL, after `flask db upgrade`

PostgreSQL tables are truncated first; SQLite is expected to be a fresh file."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from db import db
from models import Item, Store, Tag, User
from security.passwords import hash_password

USERNAME, PASSWORD = "bencher", "bench password 123"
STORES, ITEMS_PER_STORE, TAGS_PER_STORE = 100, 20, 2
WRITE_STORE_ID = STORES + 1


def seed(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "TRUNCATE users, stores, items, tags, items_tags, login_sessions "
                    "RESTART IDENTITY CASCADE"
                )
            )
        user = User(username=USERNAME, password=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        for s in range(STORES):
            tags = [Tag(name=f"tag-{t}", items=[]) for t in range(TAGS_PER_STORE)]
            items = [
                Item(name=f"item-{i}", price=i, tags=tags[: i % 3]) for i in range(ITEMS_PER_STORE)
            ]
            db.session.add(Store(name=f"store-{s}", owner_id=user.id, items=items, tags=tags))
        writes = Store(name="writes", owner_id=user.id, items=[], tags=[])
        db.session.add(writes)
        db.session.commit()
        assert writes.id == WRITE_STORE_ID, writes.id


if __name__ == "__main__":
    from app import create_app

    seed(create_app())
