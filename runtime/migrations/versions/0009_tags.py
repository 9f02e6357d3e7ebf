"""The tag library of an app (groups and tags with colours, for display and the picker) and saved segments
(named filters over a form's records, counted live).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _app_ref() -> sa.Column:
    return sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "app_tag_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        _app_ref(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("color", sa.String(20)),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("app_id", "name", name="uq_app_tag_groups_app_name"),
    )
    op.create_table(
        "app_tags",
        sa.Column("id", sa.Integer, primary_key=True),
        _app_ref(),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("app_tag_groups.id", ondelete="SET NULL")),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("color", sa.String(20)),
        sa.Column("description", sa.String(500)),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("app_id", "name", name="uq_app_tags_app_name"),
    )
    op.create_table(
        "app_segments",
        sa.Column("id", sa.Integer, primary_key=True),
        _app_ref(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("app_id", "name", name="uq_app_segments_app_name"),
    )


def downgrade() -> None:
    op.drop_table("app_segments")
    op.drop_table("app_tags")
    op.drop_table("app_tag_groups")
