"""Saved views: a person's own views of a form's records (engines/views shapes), beside the app's views.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("definition", sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_views"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name="fk_saved_views_app_id_apps", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_saved_views_user_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("app_id", "user_id", "key", name="uq_saved_views_app_user_key"),
    )
    op.create_index("ix_saved_views_owner_form", "saved_views", ["app_id", "user_id", "form"])


def downgrade() -> None:
    op.drop_table("saved_views")
