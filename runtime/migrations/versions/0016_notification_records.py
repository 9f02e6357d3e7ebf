"""Notifications name the record they are about (a mention on a comment), so the bell can open it.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("form", sa.String(40), nullable=True))
        batch.add_column(sa.Column("record_id", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("record_id")
        batch.drop_column("form")
