"""Round-robin counters shared by every process, and a revision per flow instance (bumped by every step that
writes), so a process may reuse the state it loaded last when nobody has stepped the instance since.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_counters",
        sa.Column("series", sa.String(300), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.add_column("flow_instances", sa.Column("revision", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("flow_instances", "revision")
    op.drop_table("flow_counters")
