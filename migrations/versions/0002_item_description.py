"""Items get an optional description (at most 500 characters)

Revision ID: 0002_item_description
Revises: 3be1af0d63d4
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_item_description"
down_revision = "3be1af0d63d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("items") as batch_op:
        batch_op.add_column(sa.Column("description", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_column("description")
