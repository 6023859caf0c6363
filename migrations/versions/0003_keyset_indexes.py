"""Keyset indexes: each list's `WHERE key = ? AND id > ? ORDER BY id LIMIT n` is one
index range scan, and so is each nested list's first 100

Revision ID: 0003_keyset_indexes
Revises: 0002_item_description
"""

from alembic import op

revision = "0003_keyset_indexes"
down_revision = "0002_item_description"
branch_labels = None
depends_on = None

# (table, old single-column index, new composite index, its columns)
INDEXES = [
    ("items", "ix_items_store_id", "ix_items_store_id_id", ["store_id", "id"]),
    ("tags", "ix_tags_store_id", "ix_tags_store_id_id", ["store_id", "id"]),
    ("items_tags", "ix_items_tags_tag_id", "ix_items_tags_tag_id_item_id", ["tag_id", "item_id"]),
]


def upgrade():
    for table, old, new, columns in INDEXES:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)


def downgrade():
    for table, old, new, columns in INDEXES:
        op.create_index(old, table, columns[:1])
        op.drop_index(new, table_name=table)
