"""The platform's own tables (Alembic owns these; app tables are built from definitions)."""
from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
# An empty value is SQL NULL, never JSON null, so "is empty" means one thing everywhere.
Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("name", String(100), nullable=False, server_default=""),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    Column("manager_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("password_changed_at", DateTime),  # tokens issued before it no longer count
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime),  # sign-in refused until then, after repeated failures
)

# The organisation: a department tree with heads; a user may belong to several departments.
departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("parent_id", Integer, ForeignKey("departments.id", ondelete="CASCADE"), index=True),
    Column("head_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
)

department_members = Table(
    "department_members", metadata,
    Column("department_id", Integer, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

apps = Table(
    "apps", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("current_version", Integer),
    Column("draft", Json),
    Column("draft_updated_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Record writes per app, one row per writing connection (PostgreSQL backend pid; 0 on SQLite), summed when read:
# report results are cached under the sum, and concurrent writers never wait on a shared counter row.
app_data_versions = Table(
    "app_data_versions", metadata,
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("shard", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

app_versions = Table(
    "app_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Json, nullable=False),
    Column("note", String(500)),
    Column("published_at", DateTime, nullable=False),
    Column("published_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    UniqueConstraint("app_id", "version", name="uq_app_versions_app_version"),
)

# Physical storage of forms: table t_{id}. A sub-table is a child form (parent_id set) of its own table.
app_forms = Table(
    "app_forms", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(100), nullable=False),  # "order", or "order.lines" for a sub-table
    Column("parent_id", Integer, ForeignKey("app_forms.id", ondelete="CASCADE")),
    Column("retired", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("app_id", "key", name="uq_app_forms_app_key"),
)

# Physical storage of fields: column c_{id}, or link table l_{id} for many-relations.
# A field whose storage changes gets a new row (new column); the old one is retired with its data.
app_fields = Table(
    "app_fields", metadata,
    Column("id", Integer, primary_key=True),
    Column("form_id", Integer, ForeignKey("app_forms.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(40), nullable=False),
    Column("type", String(40), nullable=False),
    Column("storage", String(20)),  # None: no column
    Column("target_form_id", Integer),  # relations
    Column("is_unique", Boolean, nullable=False, server_default="0"),
    Column("retired", Boolean, nullable=False, server_default="0"),
)

autonumber_counters = Table(
    "autonumber_counters", metadata,
    Column("field_id", Integer, ForeignKey("app_fields.id", ondelete="CASCADE"), primary_key=True),
    Column("scope", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Uploaded files (attachments, images, signatures). `token` names a file in URLs, so ids cannot be guessed;
# the bytes live under NOCODE_DATA_DIR at `path`.
files = Table(
    "files", metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(48), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("mime", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", String(300), nullable=False),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="SET NULL")),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
)

# Who did what to which record: merges, imports, deletes… (`detail` holds what the action needs to be understood).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("user_id", Integer),
    Column("app_id", Integer),
    Column("form", String(100)),
    Column("record_id", Integer),
    Column("action", String(40), nullable=False),
    Column("detail", Json),
    Index("ix_audit_log_record", "app_id", "form", "record_id"),
)

# The roles a user holds in an app (role keys from the app definition's `roles`); the union applies.
user_roles = Table(
    "user_roles", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("role", String(40), primary_key=True),
)

# Keys for integrations (X-API-Key): scoped to one app and one role, stored as a hash, shown once.
api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),  # the key's first characters, to tell keys apart in lists
    Column("key_hash", String(128), nullable=False, unique=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(40), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
)

# Sign-in sessions: each bearer token names one (its jti), so a user sees them and can end them.
sessions = Table(
    "sessions", metadata,
    Column("id", String(48), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
    Column("revoked_at", DateTime),
)

# Background jobs and durable timers (runtime/jobs.py): a queue that every serve/worker process shares.
# A worker claims a due job with a lease (locked_by, locked_until); a lease that runs out is claimable again.
jobs = Table(
    "jobs", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("kind", String(100), nullable=False),  # a handler registered in runtime.jobs.JOBS
    Column("payload", Json),
    Column("status", String(10), nullable=False),  # queued, running, done, dead
    Column("run_at", DateTime, nullable=False),  # UTC: not before then
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("locked_by", String(100)),
    Column("locked_until", DateTime),
    Column("dedupe_key", String(255), unique=True),  # at most one job per key, e.g. one per cron slot
    Column("series", String(200), index=True),  # a recurring schedule's name; `cron` makes its next slot
    Column("cron", String(100)),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
    Index("ix_jobs_due", "status", "run_at"),
)

# Flow instances (runtime/flows.py): the engine's state as rows, keyed inside the instance (k3, t5, m6 — local ids
# the engine hands out), so a step writes only the rows it changed. Times are naive UTC like every platform table.
flow_instances = Table(
    "flow_instances", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("flow", String(100), nullable=False),
    Column("version", Integer, nullable=False),  # the app version whose flow definition this instance runs
    Column("status", String(20), nullable=False),  # running, completed, rejected, withdrawn, cancelled, failed
    Column("initiator", Integer),
    Column("form", String(100)),
    Column("record_id", BigInteger),
    Column("record", Json),  # snapshot of the record the flow runs on
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("epoch", Integer, nullable=False, server_default="0"),
    Column("seq", Integer, nullable=False, server_default="0"),
    Column("history_seq", Integer, nullable=False, server_default="0"),
    Column("acted", Boolean, nullable=False, server_default="0"),
    Column("parent_id", BigInteger),
    Column("parent_request", String(20)),
    Column("revision", Integer, nullable=False, server_default="0"),  # bumped by every step that writes
    Index("ix_flow_instances_app_flow_status", "app_id", "flow", "status"),
    Index("ix_flow_instances_record", "app_id", "form", "record_id"),
    Index("ix_flow_instances_initiator", "initiator", "status"),
)

flow_tokens = Table(
    "flow_tokens", metadata,
    Column("instance_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("flow_instances.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(20), primary_key=True),
    Column("node", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("stack", Json),
    Column("wait", String(100)),
)

# A task has its own id for the API (/api/tasks/{id}); the engine knows it by (instance, key).
flow_tasks = Table(
    "flow_tasks", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("instance_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("flow_instances.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(20), nullable=False),
    Column("token", String(20), nullable=False),
    Column("node", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # approval, fill_in, cc, resubmit
    Column("assignee", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("position", Float(53), nullable=False, server_default="0"),
    Column("epoch", Integer, nullable=False, server_default="0"),
    Column("visit", String(20), nullable=False, server_default=""),
    Column("origin", String(20), nullable=False, server_default="base"),
    Column("waits_on", Json),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("decided_by", Integer),
    Column("comment", Text),
    Column("due_at", DateTime),
    UniqueConstraint("instance_id", "key", name="uq_flow_tasks_instance_key"),
    Index("ix_flow_tasks_assignee_status", "assignee", "status"),
    Index("ix_flow_tasks_decided_by", "decided_by"),
)

flow_timers = Table(
    "flow_timers", metadata,
    Column("instance_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("flow_instances.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(20), primary_key=True),
    Column("token", String(20), nullable=False),
    Column("node", String(100), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),  # scheduled, fired, cancelled
    Column("stage", Integer, nullable=False, server_default="0"),
)

flow_variables = Table(
    "flow_variables", metadata,
    Column("instance_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("flow_instances.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("value", Json),
)

flow_history = Table(
    "flow_history", metadata,
    Column("instance_id", BigInteger().with_variant(Integer, "sqlite"),
           ForeignKey("flow_instances.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("node", String(100)),
    Column("action", String(40), nullable=False),
    Column("by", Integer),
    Column("task", String(20)),
    Column("detail", Json),
)

# How often the organisation changed (roles, managers, departments): bumped by database triggers (migration 0008).
org_version = Table(
    "org_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The working calendar: holidays (working false) and weekend days worked instead (调休, working true).
work_calendar = Table(
    "work_calendar", metadata,
    Column("day", Date, primary_key=True),
    Column("working", Boolean, nullable=False),
    Column("note", String(100)),
)

# Round-robin turns (assign nodes), one row per series, shared by every process.
flow_counters = Table(
    "flow_counters", metadata,
    Column("series", String(300), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# In-app notifications (a flow's notify / cc / remind / urge…): one row per recipient.
notifications = Table(
    "notifications", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE")),
    Column("instance_id", BigInteger),
    Column("form", String(40)),  # the record a notification is about, when it is about one (migration 0016)
    Column("record_id", BigInteger),
    Column("reason", String(40), nullable=False),  # message, cc, remind, urge, escalated, returned…
    Column("channel", String(20), nullable=False, server_default="in_app"),
    Column("title", String(500)),
    Column("text", Text),
    Column("created_at", DateTime, nullable=False),
    Column("read_at", DateTime),
    Index("ix_notifications_user", "user_id", "read_at"),
)

# The tag library of an app (migration 0009): group, colour and description for tags, which stay free text in records.
app_tag_groups = Table(
    "app_tag_groups", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("color", String(20)),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("app_id", "name", name="uq_app_tag_groups_app_name"),
)

app_tags = Table(
    "app_tags", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", Integer, ForeignKey("app_tag_groups.id", ondelete="SET NULL")),
    Column("name", String(40), nullable=False),
    Column("color", String(20)),
    Column("description", String(500)),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("app_id", "name", name="uq_app_tags_app_name"),
)

# Segments (人群): a saved filter expression over one form, counted live through the viewer's row scope.
app_segments = Table(
    "app_segments", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("form", String(100), nullable=False),
    Column("filter", Text, nullable=False),
    Column("description", String(500)),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("app_id", "name", name="uq_app_segments_app_name"),
)

# Rule-driven tags remember which rule set them (a tag without a row here was put by a person); migration 0010.
rule_tag_sources = Table(
    "rule_tag_sources", metadata,
    Column("app_id", Integer, primary_key=True),  # no foreign key: checked row by row, it outweighed the rows (0017)
    Column("form", String(100), primary_key=True),
    Column("record_id", BigInteger, primary_key=True),
    Column("field", String(100), primary_key=True),
    Column("tag", String(100), primary_key=True),
    Column("rule", String(100), nullable=False),
    Column("set_at", DateTime, nullable=False),
)

# What rules did (batch runs) and where they failed or stopped (a chain too deep), newest last.
rule_log = Table(
    "rule_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("form", String(100)),
    Column("record_id", BigInteger),
    Column("at", DateTime, nullable=False),
    Column("level", String(10), nullable=False),  # info, error
    Column("code", String(60), nullable=False),
    Column("message", Text),
    Column("detail", Json),
    Index("ix_rule_log_app_id_rule", "app_id", "rule", "id"),
)

# What a batch run leaves for event time, per rule and name (the RFM tile boundaries of an action).
rule_state = Table(
    "rule_state", metadata,
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("rule", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Json),
    Column("updated_at", DateTime, nullable=False),
)

# Job runners alive (runtime/jobs.py Runner): one row per process, refreshed every few seconds and deleted on a clean
# stop; /api/health and `nocode doctor` count the rows seen in the last 30 seconds (migration 0013).
worker_heartbeats = Table(
    "worker_heartbeats", metadata,
    Column("worker_id", String(100), primary_key=True),
    Column("role", String(20), nullable=False),  # serve (jobs inside an API process) or worker (`nocode worker`)
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("running", Integer, nullable=False, server_default="0"),  # jobs running at the last beat
    Column("started_at", DateTime, nullable=False),
    Column("seen_at", DateTime, nullable=False, index=True),
)

# Outbound webhooks (runtime/webhooks.py, migration 0011): an app's subscriptions and every delivery with its outcome.
# `secret` is sealed with the platform key (runtime/secrets.py): it signs each delivery, so it must be readable.
webhooks = Table(
    "webhooks", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("events", Json, nullable=False),  # ["order.created", "order.*", "*"]
    Column("description", String(200)),
    Column("secret", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("failures", Integer, nullable=False, server_default="0"),  # consecutive dead deliveries
    Column("disabled_reason", String(40)),  # failures: switched off by the platform
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(40), nullable=False, unique=True),  # X-Nocode-Delivery; the job finds its delivery by it
    Column("webhook_id", Integer, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(120), nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(12), nullable=False),  # pending, retrying, succeeded, dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("response_status", Integer),
    Column("response_body", Text),
    Column("last_error", Text),
    Column("redelivery_of", BigInteger),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
)

# Bumped whenever an app's subscriptions change; every record write reads it in the statement it runs anyway.
webhook_versions = Table(
    "webhook_versions", metadata,
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Secrets connectors authenticate with, sealed with a key derived from NOCODE_SECRET_KEY; never read back by the API.
platform_secrets = Table(
    "platform_secrets", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# A connector's calls in its current rate-limit window, shared by every process (one row per connector).
connector_windows = Table(
    "connector_windows", metadata,
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("connector", String(40), primary_key=True),
    Column("window_start", BigInteger, nullable=False),  # seconds since the epoch, a multiple of the window
    Column("calls", Integer, nullable=False),
)

# What connectors did and where they were refused (a value the form would not take, a bad signature), newest last.
integration_log = Table(
    "integration_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("connector", String(40), nullable=False),
    Column("operation", String(40), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("level", String(10), nullable=False),  # info, error
    Column("code", String(60), nullable=False),
    Column("message", Text),
    Column("detail", Json),
    Index("ix_integration_log_app_connector", "app_id", "connector", "id"),
)

# Channel ingestion and identity unification (runtime/customer_events.py, migration 0012). `customer_id` is a record
# of the app's identity form (its `identity.form`). Events are the behaviour trail, newest first per customer.
customer_events = Table(
    "customer_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("channel", String(40), nullable=False),
    Column("type", String(60), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("external_id", String(100)),  # the channel's own event id: a resent event is taken once
    Column("identities", Json),  # kind → normalised value, as the event carried them
    Column("data", Json),
    Index("ix_customer_events_trail", "app_id", "customer_id", "occurred_at"),
    Index("ix_customer_events_recent", "app_id", "occurred_at"),
    UniqueConstraint("app_id", "channel", "external_id", name="uq_customer_events_external"),
)

# One row per identity an app knows: (kind, scope, value) → customer. `scope` is the channel for kinds unique only
# within one (OpenID), else ""; `channel` is where the identity was first seen.
customer_identities = Table(
    "customer_identities", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("scope", String(40), nullable=False, server_default=""),
    Column("value", String(255), nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("channel", String(40)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("app_id", "kind", "scope", "value", name="uq_customer_identities_key"),
    Index("ix_customer_identities_customer", "app_id", "customer_id"),
)

# Customers folded into another: by an event that tied them together, or by hand. `reason` names the identities
# that linked them; `snapshot` is the merged record as it was.
customer_merges = Table(
    "customer_merges", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("survivor_id", BigInteger, nullable=False),
    Column("merged_id", BigInteger, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("by", Integer),  # who merged by hand; empty when an event did
    Column("reason", Json),
    Column("snapshot", Json),
    Index("ix_customer_merges_survivor", "app_id", "survivor_id"),
)

# A person's own views of a form's records (migration 0014): the same shape as the app's `views`, private to them.
saved_views = Table(
    "saved_views", metadata,
    Column("id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("form", String(40), nullable=False),
    Column("key", String(40), nullable=False),
    Column("definition", Json, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("app_id", "user_id", "key", name="uq_saved_views_app_user_key"),
    Index("ix_saved_views_owner_form", "app_id", "user_id", "form"),
)

# Comments on records (migration 0015): the people @mentioned are notified; the record's readers see them.
record_comments = Table(
    "record_comments", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("form", String(40), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("mentions", Json),
    Column("created_at", DateTime, nullable=False),
    Index("ix_record_comments_record", "app_id", "form", "record_id"),
)
