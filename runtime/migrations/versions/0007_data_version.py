"""A change counter per app, bumped in the transaction of every record write: report results are cached under
it, so a cached result is never older than the data it claims to show. One row per database connection
(PostgreSQL backend pid) and app, summed when read: concurrent writers never wait on each other's counter.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_data_versions",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("shard", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_data_versions")
