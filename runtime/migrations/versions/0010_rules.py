"""The rules engine's own rows: which rule set each rule-driven tag (tag provenance), what rules did and where they
failed (the rule log), and what a batch run leaves for event time (RFM tile boundaries).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

Json = sa.JSON().with_variant(JSONB(), "postgresql")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_tag_sources",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("form", sa.String(100), primary_key=True),
        sa.Column("record_id", sa.BigInteger, primary_key=True),
        sa.Column("field", sa.String(100), primary_key=True),
        sa.Column("tag", sa.String(100), primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "rule_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("form", sa.String(100)),
        sa.Column("record_id", sa.BigInteger),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("detail", Json),
    )
    op.create_index("ix_rule_log_app_id_rule", "rule_log", ["app_id", "rule", "id"])
    op.create_table(
        "rule_state",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rule", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", Json),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rule_state")
    op.drop_index("ix_rule_log_app_id_rule", "rule_log")
    op.drop_table("rule_log")
    op.drop_table("rule_tag_sources")
