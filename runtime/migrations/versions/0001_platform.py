"""Platform tables: users, apps, versions and the physical map of forms and fields.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("current_version", sa.Integer),
        sa.Column("draft", Json),
        sa.Column("draft_updated_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apps"),
        sa.UniqueConstraint("key", name="uq_apps_key"),
    )
    op.create_table(
        "app_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("published_by", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_app_versions"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE", name="fk_app_versions_app_id_apps"),
        sa.ForeignKeyConstraint(["published_by"], ["users.id"], ondelete="SET NULL",
                                name="fk_app_versions_published_by_users"),
        sa.UniqueConstraint("app_id", "version", name="uq_app_versions_app_version"),
    )
    op.create_table(
        "app_forms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_app_forms"),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], ondelete="CASCADE", name="fk_app_forms_app_id_apps"),
        sa.ForeignKeyConstraint(["parent_id"], ["app_forms.id"], ondelete="CASCADE",
                                name="fk_app_forms_parent_id_app_forms"),
        sa.UniqueConstraint("app_id", "key", name="uq_app_forms_app_key"),
    )
    op.create_table(
        "app_fields",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("storage", sa.String(20)),
        sa.Column("target_form_id", sa.Integer),
        sa.Column("is_unique", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_app_fields"),
        sa.ForeignKeyConstraint(["form_id"], ["app_forms.id"], ondelete="CASCADE",
                                name="fk_app_fields_form_id_app_forms"),
    )
    op.create_index("ix_app_fields_form_id", "app_fields", ["form_id"])
    op.create_table(
        "autonumber_counters",
        sa.Column("field_id", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("field_id", "scope", name="pk_autonumber_counters"),
        sa.ForeignKeyConstraint(["field_id"], ["app_fields.id"], ondelete="CASCADE",
                                name="fk_autonumber_counters_field_id_app_fields"),
    )


def downgrade() -> None:
    for table in ("autonumber_counters", "app_fields", "app_forms", "app_versions", "apps", "users"):
        op.drop_table(table)
