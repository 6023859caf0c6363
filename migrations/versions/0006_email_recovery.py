"""Email and account recovery: users gain an optional address (verified, pending, and
the unique key of a verified one); verification and reset tokens; the mail outbox.
Existing users keep working with no address.

Revision ID: 0006_email_recovery
Revises: 0005_username_key
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_email_recovery"
down_revision = "0005_username_key"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("email_pending", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("verified_email_key", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_users_verified_email_key", ["verified_email_key"])
    op.create_table(
        "email_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("spent_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_email_tokens_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_tokens"),
        sa.UniqueConstraint("digest", name="uq_email_tokens_digest"),
    )
    op.create_index("ix_email_tokens_user_id", "email_tokens", ["user_id"])
    op.create_index("ix_email_tokens_expires_at", "email_tokens", ["expires_at"])
    op.create_table(
        "mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("give_up_at", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("lease_id", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("failed_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mails"),
    )
    op.create_index("ix_mails_due", "mails", ["sent_at", "failed_at", "next_attempt_at"])
    op.create_index("ix_mails_recipient", "mails", ["recipient", "created_at"])


def downgrade():
    op.drop_table("mails")
    op.drop_table("email_tokens")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_verified_email_key", type_="unique")
        for column in ("verified_email_key", "email_pending", "email_verified", "email"):
            batch_op.drop_column(column)
