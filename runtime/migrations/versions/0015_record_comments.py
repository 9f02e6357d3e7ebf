"""Comments on records: who said what on which record, and whom they @mentioned (they are notified).

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_comments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("mentions", sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_comments"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name="fk_record_comments_app_id_apps", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_record_comments_user_id_users",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_record_comments_record", "record_comments", ["app_id", "form", "record_id"])


def downgrade() -> None:
    op.drop_table("record_comments")
