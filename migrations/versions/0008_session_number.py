"""Login sessions are numbered per user, so the newest and the oldest are known even
among logins of the same second (created_at is whole seconds)

Revision ID: 0008_session_number
Revises: 0007_mfa
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_session_number"
down_revision = "0007_mfa"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions from before get 0: older than every login after, ordered among themselves
    # by id as before. The default goes once the rows are filled.
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.add_column(
            sa.Column("number", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.alter_column("number", server_default=None)


def downgrade():
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.drop_column("number")
