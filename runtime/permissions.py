"""Permissions at run time: one caller's access to one published app, enforced inside the reader and the writer.

Platform admins (and the system itself: seed data, recomputes) are unrestricted. Everyone else gets what the
roles they hold in the app allow (engines.access); an API key holds exactly its one role in its one app.
Row scopes become SQL conditions added to the query — rows outside them are never fetched, counted,
exported, linked to by title, or written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, false, not_, or_, select, true

from engines.access import FormAccess, effective
from engines.expr.ast import Name, walk
from engines.expr.functions.info import list_contains
from engines.problems import Problem
from runtime.errors import ApiError
from runtime.expressions import SchemaTables, compiled, eval_context
from runtime.models import department_members, departments, user_roles, users
from runtime.tables import AppSchema, FormStore

PEOPLE_SCOPES = {"department", "subordinates"}


@dataclass
class Principal:
    """Who is asking, as row scopes need it."""
    user_id: int | None
    departments: set[int] = field(default_factory=set)  # mine and every department below them
    team: set[int] = field(default_factory=set)  # me and everyone I manage, directly or not


class Access:
    def __init__(self, schema: AppSchema, forms: dict[str, FormAccess] | None, principal: Principal, tz,
                 dialect: str = "sqlite"):
        self.schema, self.forms, self.principal, self.dialect = schema, forms, principal, dialect
        self.eval_ctx = eval_context(tz, principal.user_id)

    @classmethod
    def unrestricted(cls, schema: AppSchema, user_id: int | None, tz) -> "Access":
        return cls(schema, None, Principal(user_id), tz)

    @classmethod
    async def load(cls, conn, schema: AppSchema, user, tz) -> "Access":
        key = getattr(user, "api_key", None)
        if key is not None:
            app_id, role = key
            if app_id != schema.app_id:
                raise ApiError(403, "no_app_access", app=schema.key)
            held = {role}
        elif user.is_admin:
            return cls.unrestricted(schema, user.id, tz)
        else:
            held = set((await conn.execute(select(user_roles.c.role).where(
                user_roles.c.user_id == user.id, user_roles.c.app_id == schema.app_id))).scalars())
        forms = effective(schema.definition.roles, held)
        if not forms:
            raise ApiError(403, "no_app_access", app=schema.key)
        principal = Principal(user.id)
        scopes = {scope for access in forms.values() for scopes in access.scopes.values() for scope in scopes}
        if scopes & PEOPLE_SCOPES:
            principal.departments, principal.team = await _people_around(conn, user.id)
        return cls(schema, forms, principal, tz, conn.dialect.name)

    # ---- questions ---------------------------------------------------------------------------------------------
    @property
    def restricted(self) -> bool:
        return self.forms is not None

    def _form(self, form_key: str) -> tuple[FormAccess | None, str]:
        """The access of a form, or of the form owning a sub-table ("order.lines" → order, prefix "lines.")."""
        top, _, child = form_key.partition(".")
        return (self.forms.get(top) if self.forms is not None else None), (child + "." if child else "")

    def allows(self, form_key: str, op: str) -> bool:
        if self.forms is None:
            return True
        access, _ = self._form(form_key)
        return access is not None and access.allows(op)

    def require(self, form_key: str, op: str) -> None:
        if not self.allows(form_key, op):
            raise ApiError(403, "forbidden_op", op=op, form=form_key.partition(".")[0])

    def hidden(self, form_key: str) -> set[str]:
        """Keys of the fields this caller may not see in a form (or sub-table): those a role hides, and every
        formula, lookup or rollup that reads something hidden or a form the caller may not read."""
        if self.forms is None:
            return set()
        if self._hidden is None:
            self._hidden = self._all_hidden()
        return self._hidden.get(form_key, set())

    _hidden: dict[str, set[str]] | None = None

    def _all_hidden(self) -> dict[str, set[str]]:
        from runtime.computed import plan

        hidden: dict[str, set[str]] = {}
        for key, form in self.schema.forms.items():
            access, prefix = self._form(key)
            if access is None:
                hidden[key] = set(form.fields)
            else:
                hidden[key] = {name[len(prefix):] for name in access.hidden()
                               if name.startswith(prefix) and "." not in name[len(prefix):]}
        for node in plan(self.schema):  # in dependency order, so what a computed field reads is settled first
            if any(dep.field in hidden.get(dep.form, ()) for dep in node.deps):
                hidden[node.form].add(node.field.key)
        return hidden

    def closed(self, form_key: str) -> set[str]:
        """Keys of the fields this caller may not write (hidden or read-only)."""
        access, prefix = self._form(form_key)
        if access is None:
            return set() if self.forms is None else set(self.schema.forms[form_key].fields)
        return {key[len(prefix):] for key in access.closed() if key.startswith(prefix) and "." not in key[len(prefix):]}

    def path_problems(self, form_key: str, compiled_expression, where: str) -> list[Problem]:
        """A filter may not read what the caller cannot see — not even through a relation — or a hidden value
        could be guessed by filtering on it."""
        problems = []
        for node in walk(compiled_expression.node):
            if not isinstance(node, Name):
                continue
            steps = getattr(node, "steps", None) or []
            for n, step in enumerate(steps):
                if step.kind == "system":
                    continue
                if not self.allows(step.form, "read") or step.field in self.hidden(step.form):
                    problems.append(Problem(where, "field_hidden", {"key": ".".join(node.path)}))
                    break
                # through a link, the linked records are live data: only if the caller may read all of them
                if n and steps[n - 1].kind in ("relation", "many") and \
                        self.rows(self.schema.forms[step.form], "read") is not None:
                    problems.append(Problem(where, "related_rows_limited", {"key": ".".join(node.path)}))
                    break
        return problems

    # ---- rows --------------------------------------------------------------------------------------------------
    def rows(self, form: FormStore, op: str, table=None):
        """The SQL condition for the rows this caller may `op`, or None for every row."""
        if self.forms is None:
            return None
        access, _ = self._form(form.key)
        scopes = access.scopes.get(op, []) if access is not None else []
        if not scopes:
            return false()
        if "all" in scopes:
            return None
        table = form.table if table is None else table
        return or_(*(self._scope(form, table, scope) for scope in scopes))

    def _scope(self, form: FormStore, table, scope: str):
        me = self.principal.user_id
        if scope == "own":
            return table.c.owner == me
        if scope == "subordinates":
            return table.c.owner.in_(sorted(self.principal.team or {me}))
        if scope == "department":
            if not self.principal.departments:
                return false()
            return table.c.owner.in_(select(department_members.c.user_id).where(
                department_members.c.department_id.in_(sorted(self.principal.departments))))
        if scope == "member":
            parts = []
            for store in form.fields.values():
                if store.field.type == "member" and store.column is not None:
                    column = table.c[store.column.name]
                    many = store.field.many
                    parts.append(list_contains(column, me, self.dialect == "sqlite") if many else column == me)
            return or_(*parts) if parts else false()
        expression = compiled(self.schema, form.key, scope, "bool")
        return expression.sql(SchemaTables(self.schema), self.eval_ctx, self.dialect, form.key, table, condition=True)

    async def check_rows(self, conn, form: FormStore, op: str, ids: list[int]) -> None:
        """After a write: every record written must still lie in the caller's rows for `op` (no one creates a
        record for someone else's scope, or moves one out of reach)."""
        condition = self.rows(form, op)
        if condition is None or not ids:
            return
        outside = (await conn.execute(select(form.table.c.id).where(
            and_(form.table.c.id.in_(ids), not_(condition))).limit(1))).first()
        if outside is not None:
            raise ApiError(403, "row_out_of_scope", op=op, form=form.key)

    async def reach(self, conn, form: FormStore, op: str, record_id: int) -> tuple[bool, bool]:
        """(may the caller read the record, may they `op` it), in one query."""
        read, allowed = self.rows(form, "read"), self.rows(form, op)
        query = select(true() if allowed is None else case((allowed, true()), else_=false()))
        query = query.select_from(form.table).where(form.table.c.id == record_id)
        if read is not None:
            query = query.where(read)
        found = (await conn.execute(query)).first()
        return (False, False) if found is None else (True, bool(found[0]))

    async def visible(self, conn, form: FormStore, op: str, record_id: int) -> bool:
        condition = self.rows(form, op)
        query = select(form.table.c.id).where(form.table.c.id == record_id)
        if condition is not None:
            query = query.where(condition)
        return (await conn.execute(query)).first() is not None


async def _people_around(conn, user_id: int) -> tuple[set[int], set[int]]:
    """(my departments and all below them, me and everyone I manage transitively). The organisation is small
    next to the records, so it is read whole once per request that needs it."""
    mine = set((await conn.execute(select(department_members.c.department_id)
                                   .where(department_members.c.user_id == user_id))).scalars())
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in (await conn.execute(select(departments.c.id, departments.c.parent_id))).all():
        children.setdefault(parent_id, []).append(dept_id)
    below = set(mine)
    stack = list(mine)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in below:
                below.add(child)
                stack.append(child)
    reports: dict[int | None, list[int]] = {}
    for uid, manager in (await conn.execute(select(users.c.id, users.c.manager_id))).all():
        reports.setdefault(manager, []).append(uid)
    team = {user_id}
    stack = [user_id]
    while stack:
        for uid in reports.get(stack.pop(), []):
            if uid not in team:
                team.add(uid)
                stack.append(uid)
    return below, team
