"""The customer-event store and identities (channel ingestion, identity unification, merges).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.BigInteger().with_variant(sa.Integer, "sqlite")

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _app_ref() -> sa.Column:
    return sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "customer_events",
        sa.Column("id", Id, primary_key=True),
        _app_ref(),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("external_id", sa.String(100)),
        sa.Column("identities", Json),
        sa.Column("data", Json),
        sa.UniqueConstraint("app_id", "channel", "external_id", name="uq_customer_events_external"),
    )
    op.create_index("ix_customer_events_trail", "customer_events", ["app_id", "customer_id", "occurred_at"])
    op.create_index("ix_customer_events_recent", "customer_events", ["app_id", "occurred_at"])
    op.create_table(
        "customer_identities",
        sa.Column("id", Id, primary_key=True),
        _app_ref(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False, server_default=""),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("channel", sa.String(40)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("app_id", "kind", "scope", "value", name="uq_customer_identities_key"),
    )
    op.create_index("ix_customer_identities_customer", "customer_identities", ["app_id", "customer_id"])
    op.create_table(
        "customer_merges",
        sa.Column("id", Id, primary_key=True),
        _app_ref(),
        sa.Column("survivor_id", sa.BigInteger, nullable=False),
        sa.Column("merged_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.Integer),
        sa.Column("reason", Json),
        sa.Column("snapshot", Json),
    )
    op.create_index("ix_customer_merges_survivor", "customer_merges", ["app_id", "survivor_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_merges_survivor", "customer_merges")
    op.drop_table("customer_merges")
    op.drop_index("ix_customer_identities_customer", "customer_identities")
    op.drop_table("customer_identities")
    op.drop_index("ix_customer_events_recent", "customer_events")
    op.drop_index("ix_customer_events_trail", "customer_events")
    op.drop_table("customer_events")
