"""Flow instances as rows (instances, tokens, tasks, timers, variables, history) and in-app notifications.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Id = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _instance_ref() -> sa.Column:
    return sa.Column("instance_id", Id, sa.ForeignKey("flow_instances.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "flow_instances",
        sa.Column("id", Id, nullable=False),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("initiator", sa.Integer),
        sa.Column("form", sa.String(100)),
        sa.Column("record_id", sa.BigInteger),
        sa.Column("record", Json),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("history_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("acted", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("parent_id", sa.BigInteger),
        sa.Column("parent_request", sa.String(20)),
        sa.PrimaryKeyConstraint("id", name="pk_flow_instances"),
    )
    op.create_index("ix_flow_instances_app_flow_status", "flow_instances", ["app_id", "flow", "status"])
    op.create_index("ix_flow_instances_record", "flow_instances", ["app_id", "form", "record_id"])
    op.create_index("ix_flow_instances_initiator", "flow_instances", ["initiator", "status"])
    op.create_table(
        "flow_tokens", _instance_ref(),
        sa.Column("key", sa.String(20), nullable=False),
        sa.Column("node", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stack", Json),
        sa.Column("wait", sa.String(100)),
        sa.PrimaryKeyConstraint("instance_id", "key", name="pk_flow_tokens"),
    )
    op.create_table(
        "flow_tasks",
        sa.Column("id", Id, nullable=False),
        _instance_ref(),
        sa.Column("key", sa.String(20), nullable=False),
        sa.Column("token", sa.String(20), nullable=False),
        sa.Column("node", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("assignee", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("position", sa.Float(53), nullable=False, server_default="0"),
        sa.Column("epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("visit", sa.String(20), nullable=False, server_default=""),
        sa.Column("origin", sa.String(20), nullable=False, server_default="base"),
        sa.Column("waits_on", Json),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("due_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_flow_tasks"),
        sa.UniqueConstraint("instance_id", "key", name="uq_flow_tasks_instance_key"),
    )
    op.create_index("ix_flow_tasks_assignee_status", "flow_tasks", ["assignee", "status"])
    op.create_index("ix_flow_tasks_decided_by", "flow_tasks", ["decided_by"])
    op.create_table(
        "flow_timers", _instance_ref(),
        sa.Column("key", sa.String(20), nullable=False),
        sa.Column("token", sa.String(20), nullable=False),
        sa.Column("node", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stage", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("instance_id", "key", name="pk_flow_timers"),
    )
    op.create_table(
        "flow_variables", _instance_ref(),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", Json),
        sa.PrimaryKeyConstraint("instance_id", "key", name="pk_flow_variables"),
    )
    op.create_table(
        "flow_history", _instance_ref(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("node", sa.String(100)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("by", sa.Integer),
        sa.Column("task", sa.String(20)),
        sa.Column("detail", Json),
        sa.PrimaryKeyConstraint("instance_id", "seq", name="pk_flow_history"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", Id, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE")),
        sa.Column("instance_id", sa.BigInteger),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False, server_default="in_app"),
        sa.Column("title", sa.String(500)),
        sa.Column("text", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("read_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at"])


def downgrade() -> None:
    for table in ("notifications", "flow_history", "flow_variables", "flow_timers", "flow_tasks", "flow_tokens",
                  "flow_instances"):
        op.drop_table(table)
