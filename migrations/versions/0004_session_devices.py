"""Login sessions become devices a user can list and end (created, last used, user agent,
client address), and remember the refresh token they replaced for the tabs' grace window

Revision ID: 0004_session_devices
Revises: 0003_keyset_indexes
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0004_session_devices"
down_revision = "0003_keyset_indexes"
branch_labels = None
depends_on = None


def upgrade():
    now = int(time.time())
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.add_column(sa.Column("previous_jti", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("rotated_at", sa.Double(), nullable=True))
        # Sessions from before this revision get the migration's time for "created" and
        # "last used": unknown, but not 1970. The default goes once the rows are filled.
        for column in ("created_at", "last_used_at"):
            batch_op.add_column(
                sa.Column(column, sa.BigInteger(), nullable=False, server_default=str(now))
            )
        batch_op.add_column(sa.Column("user_agent", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.alter_column("created_at", server_default=None)
        batch_op.alter_column("last_used_at", server_default=None)


def downgrade():
    with op.batch_alter_table("login_sessions") as batch_op:
        for column in (
            "ip",
            "user_agent",
            "last_used_at",
            "created_at",
            "rotated_at",
            "previous_jti",
        ):
            batch_op.drop_column(column)
