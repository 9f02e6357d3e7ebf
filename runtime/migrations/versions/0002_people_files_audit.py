"""Departments and their members, managers, uploaded files and the audit log.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("manager_id", sa.Integer))
        batch.create_foreign_key("fk_users_manager_id_users", "users", ["manager_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("head_id", sa.Integer),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
        sa.ForeignKeyConstraint(["parent_id"], ["departments.id"], ondelete="CASCADE",
                                name="fk_departments_parent_id_departments"),
        sa.ForeignKeyConstraint(["head_id"], ["users.id"], ondelete="SET NULL", name="fk_departments_head_id_users"),
    )
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"])
    op.create_table(
        "department_members",
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("department_id", "user_id", name="pk_department_members"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], ondelete="CASCADE",
                                name="fk_department_members_department_id_departments"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_department_members_user_id_users"),
    )
    op.create_index("ix_department_members_user_id", "department_members", ["user_id"])
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(48), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("app_id", sa.Integer),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.UniqueConstraint("token", name="uq_files_token"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="SET NULL", name="fk_files_app_id_apps"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL", name="fk_files_created_by_users"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("app_id", sa.Integer),
        sa.Column("form", sa.String(100)),
        sa.Column("record_id", sa.Integer),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", Json),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_record", "audit_log", ["app_id", "form", "record_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "files", "department_members", "departments"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_manager_id_users", type_="foreignkey")
        batch.drop_column("manager_id")
