"""A counter of changes to the organisation (roles, managers, departments and their members), bumped by triggers
on those tables whoever writes them, so a flow step reads one number instead of the whole org chart and each
process keeps the chart it loaded last until the number moves. And the working calendar: public holidays and
the weekend days worked instead (调休), for durations counted in working days.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# table → the events that change the org chart (an UPDATE only of these columns, where named)
WATCHED = {
    "user_roles": ("INSERT", "DELETE", "UPDATE"),
    "users": ("INSERT", "DELETE", "UPDATE OF manager_id, is_active"),
    "departments": ("INSERT", "DELETE", "UPDATE OF parent_id, head_id"),
    "department_members": ("INSERT", "DELETE", "UPDATE"),
}
BUMP = "UPDATE org_version SET value = value + 1"


def upgrade() -> None:
    op.create_table("work_calendar", sa.Column("day", sa.Date, primary_key=True),
                    sa.Column("working", sa.Boolean, nullable=False), sa.Column("note", sa.String(100)))
    op.create_table("org_version", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("value", sa.BigInteger, nullable=False))
    op.execute("INSERT INTO org_version (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION org_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table, events in WATCHED.items():
            op.execute(f"CREATE TRIGGER {table}_org_version AFTER {' OR '.join(events)} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION org_version_bump()")
        return
    for table, events in WATCHED.items():
        for event in events:
            name = f"{table}_org_version_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_org_version ON {table}")
        op.execute("DROP FUNCTION org_version_bump()")
    else:
        for table, events in WATCHED.items():
            for event in events:
                op.execute(f"DROP TRIGGER {table}_org_version_{event.split()[0].lower()}")
    op.drop_table("org_version")
    op.drop_table("work_calendar")
