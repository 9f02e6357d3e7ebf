"""Tag provenance rows no longer check their app against `apps` row by row.

A batch rule run writes one provenance row per tag it adds — tens of thousands at once — and PostgreSQL checked
the foreign key for each of them (a key-share lock on the same `apps` row every time), which cost two to four
times writing the rows themselves. The key protected nothing the platform relies on: apps are never deleted, and the rows' record ids were
never checked either, just as the audit log's app id is not.

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rule_tag_sources") as batch:
        batch.drop_constraint("fk_rule_tag_sources_app_id_apps", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("rule_tag_sources") as batch:
        batch.create_foreign_key("fk_rule_tag_sources_app_id_apps", "apps", ["app_id"], ["id"], ondelete="CASCADE")
