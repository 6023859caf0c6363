"""Usernames are unique as people read them: users.username_key holds the username
folded by NFKC and case, unique. Refuses to run, naming them, while two existing users
differ only in case or Unicode form: rename all but one of each, then upgrade again.

Revision ID: 0005_username_key
Revises: 0004_session_devices
"""

import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0005_username_key"
down_revision = "0004_session_devices"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id"), sa.column("username"), sa.column("username_key"))


def username_key(username: str) -> str:
    """models.user.username_key as of this revision (a migration must not change with
    the app's code)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def upgrade():
    connection = op.get_bind()
    accounts = defaultdict(list)
    for id, username in connection.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)):
        accounts[username_key(username)].append((id, username))
    # Checked before any change, so a refused upgrade leaves the database as it was.
    clashes = [same for same in accounts.values() if len(same) > 1]
    if clashes:
        listed = "; ".join(", ".join(f"{name!r} (id {id})" for id, name in same) for same in clashes)
        raise RuntimeError(
            f"{len(clashes)} username(s) are taken twice once case and Unicode forms are "
            f"folded: {listed}. Rename all but one of each, then run `flask db upgrade` again."
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=255), nullable=True))
    if accounts:
        connection.execute(
            users.update()
            .where(users.c.id == sa.bindparam("user_id"))
            .values(username_key=sa.bindparam("key")),
            [{"user_id": same[0][0], "key": key} for key, same in accounts.items()],
        )
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("username_key", existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint("uq_users_username_key", ["username_key"])


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_username_key", type_="unique")
        batch_op.drop_column("username_key")
