"""Two-factor login: TOTP credentials (secret encrypted), recovery codes (keyed hashes),
logins waiting for their code (mfa_token), wrong codes per account, and whether a login
session used a second factor. Existing users and sessions keep working with it off.

Revision ID: 0007_mfa
Revises: 0006_email_recovery
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_mfa"
down_revision = "0006_email_recovery"
branch_labels = None
depends_on = None


def user_fk(table):
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade():
    op.create_table(
        "mfa_credentials",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        user_fk("mfa_credentials"),
        sa.PrimaryKeyConstraint("user_id", name="pk_mfa_credentials"),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        user_fk("mfa_recovery_codes"),
        sa.PrimaryKeyConstraint("id", name="pk_mfa_recovery_codes"),
        sa.UniqueConstraint("user_id", "digest", name="uq_mfa_recovery_codes_user_id_digest"),
    )
    op.create_table(
        "mfa_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        user_fk("mfa_logins"),
        sa.PrimaryKeyConstraint("id", name="pk_mfa_logins"),
        sa.UniqueConstraint("digest", name="uq_mfa_logins_digest"),
    )
    op.create_index("ix_mfa_logins_user_id", "mfa_logins", ["user_id"])
    op.create_index("ix_mfa_logins_expires_at", "mfa_logins", ["expires_at"])
    op.create_table(
        "mfa_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        user_fk("mfa_failures"),
        sa.PrimaryKeyConstraint("id", name="pk_mfa_failures"),
    )
    op.create_index("ix_mfa_failures_user_at", "mfa_failures", ["user_id", "at"])
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("mfa_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.add_column(
            sa.Column("mfa", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.drop_column("mfa")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("mfa_enabled")
    for table in ("mfa_failures", "mfa_logins", "mfa_recovery_codes", "mfa_credentials"):
        op.drop_table(table)
