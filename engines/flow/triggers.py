"""What starts a flow: record created / updated (optionally only when named fields change), a schedule (cron), a
date field (birthdays, N days after a date), a manual button, an inbound webhook. Each type is registered with
its property model and checks, and the pure questions the runtime asks (does this write start it? when next?)."""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from engines._registry import Registry
from engines.flow.cron import CronError, next_time, parse_cron
from engines.flow.durations import parse_duration, parse_time
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer


class TriggerBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str


class RecordCreatedDef(TriggerBase):
    type: Literal["record_created"]
    form: str = Field(pattern=KEY_PATTERN)
    condition: str | None = None


class RecordUpdatedDef(TriggerBase):
    type: Literal["record_updated"]
    form: str = Field(pattern=KEY_PATTERN)
    fields: list[str] = Field(default_factory=list, description="start only when one of these changed")
    condition: str | None = None


class ScheduleDef(TriggerBase):
    type: Literal["schedule"]
    cron: str = Field(max_length=100)
    form: str | None = Field(default=None, pattern=KEY_PATTERN, description="one instance per matching record")
    condition: str | None = None


class DateFieldDef(TriggerBase):
    type: Literal["date_field"]
    form: str = Field(pattern=KEY_PATTERN)
    field: str = Field(pattern=KEY_PATTERN)
    offset: str = Field(default="P0D", description="ISO 8601, '-' in front for before: -P1D is the day before")
    at: str = Field(default="09:00")
    yearly: bool = Field(default=False, description="every year on the date's month and day (birthdays)")
    condition: str | None = None


class ManualDef(TriggerBase):
    type: Literal["manual"]
    form: str | None = Field(default=None, pattern=KEY_PATTERN)
    label: str | None = Field(default=None, max_length=100, description="the button's text")
    roles: list[str] = Field(default_factory=list, description="who sees the button (empty: anyone who may edit)")


class WebhookDef(TriggerBase):
    type: Literal["webhook"]
    form: str | None = Field(default=None, pattern=KEY_PATTERN, description="payload creates a record of this form")


class TriggerType:
    key: ClassVar[str]
    props: ClassVar[type[TriggerBase]]
    label: ClassVar[tuple[str, str]]
    record_event: ClassVar[str | None] = None  # created / updated: started by the write path

    def check(self, trigger: Any, facts) -> list[Problem]:
        problems = []
        form = getattr(trigger, "form", None)
        if form is not None and facts.form(form) is None:
            problems.append(Problem("/form", "unknown_form", {"key": form}))
        return problems


class RecordCreated(TriggerType):
    key, props, label, record_event = "record_created", RecordCreatedDef, ("新增记录时", "Record created"), "created"


class RecordUpdated(TriggerType):
    key, props, label, record_event = "record_updated", RecordUpdatedDef, ("修改记录时", "Record updated"), "updated"

    def check(self, trigger, facts):
        problems = super().check(trigger, facts)
        if not problems:
            problems += [Problem(pointer("fields", i), "unknown_field", {"form": trigger.form, "key": key})
                         for i, key in enumerate(trigger.fields) if facts.field(trigger.form, key) is None]
        return problems


class Schedule(TriggerType):
    key, props, label = "schedule", ScheduleDef, ("定时", "Schedule")

    def check(self, trigger, facts):
        problems = super().check(trigger, facts)
        try:
            parse_cron(trigger.cron)
        except CronError as e:
            problems.append(Problem("/cron", "flow_bad_cron", {"value": trigger.cron, "reason": str(e)}))
        return problems


class DateField(TriggerType):
    key, props, label = "date_field", DateFieldDef, ("日期字段", "Date field")

    def check(self, trigger, facts):
        problems = super().check(trigger, facts)
        if not problems:
            f = facts.field(trigger.form, trigger.field)
            if f is None or f.type not in ("date", "datetime", "created_at", "updated_at"):
                problems.append(Problem("/field", "flow_not_date_field", {"key": trigger.field}))
        offset = parse_duration(trigger.offset.lstrip("-"))
        if offset is None:
            problems.append(Problem("/offset", "flow_bad_duration", {"value": trigger.offset}))
        elif offset.rest:
            problems.append(Problem("/offset", "flow_offset_whole_days", {"value": trigger.offset}))
        if parse_time(trigger.at) is None:
            problems.append(Problem("/at", "flow_bad_time", {"value": trigger.at}))
        return problems


class Manual(TriggerType):
    key, props, label = "manual", ManualDef, ("手动按钮", "Manual button")

    def check(self, trigger, facts):
        problems = super().check(trigger, facts)
        return problems + [Problem(pointer("roles", i), "flow_unknown_role", {"key": r})
                           for i, r in enumerate(trigger.roles) if r not in facts.roles]


class Webhook(TriggerType):
    key, props, label = "webhook", WebhookDef, ("Webhook 调用", "Inbound webhook")


TRIGGER_TYPES: Registry[TriggerType] = Registry("trigger type")
for _type in (RecordCreated(), RecordUpdated(), Schedule(), DateField(), Manual(), Webhook()):
    TRIGGER_TYPES.register(_type)

TriggerDef = Annotated[Union[tuple(t.props for t in TRIGGER_TYPES)], Field(discriminator="type")]  # type: ignore


# ---- what the runtime asks ---------------------------------------------------------------------------------------
def starts_on_write(flow, event: str, record: dict, changed: set[str] | None, eval_ctx) -> bool:
    """Does writing this record (event "created" / "updated", with the changed field keys) start the flow?
    `flow` is a CompiledFlow; its trigger condition is evaluated on the record as written."""
    trigger = flow.definition.trigger
    if TRIGGER_TYPES.get(trigger.type).record_event != event:
        return False
    if event == "updated" and trigger.fields and not (set(trigger.fields) & (changed or set())):
        return False
    return flow.trigger_holds(record, eval_ctx)


def next_schedule(trigger: ScheduleDef, after: datetime, tz: tzinfo) -> datetime:
    return next_time(trigger.cron, after, tz)


def date_field_cron(trigger: DateFieldDef) -> str:
    """A date trigger looks for its records once a day, at its time of day (deployment's zone)."""
    at = parse_time(trigger.at) or time(9, 0)
    return f"{at.minute} {at.hour} * * *"


def date_field_filter(trigger: DateFieldDef, field_type: str, day: date) -> str:
    """The records whose date makes the trigger fire on `day`, as an expression over the form: the field's date
    (in the deployment's zone for date-times) is `day` minus the offset; yearly, only month and day count, and
    in years without Feb 29 those born on it are greeted on Feb 28."""
    offset = parse_duration(trigger.offset.lstrip("-"))
    days = offset.days if offset else 0
    target = day - timedelta(days=-days if trigger.offset.startswith("-") else days)
    key = trigger.field
    if not trigger.yearly:
        if field_type == "date":  # a plain comparison, so an index on the column serves it
            return f"{key} = DATEVALUE('{target.isoformat()}')"
        return f"YEAR({key}) = {target.year} AND MONTH({key}) = {target.month} AND DAY({key}) = {target.day}"
    same_day = f"(MONTH({key}) = {target.month} AND DAY({key}) = {target.day})"
    if (target.month, target.day) == (2, 28) and not calendar.isleap(target.year):
        return f"{same_day} OR (MONTH({key}) = 2 AND DAY({key}) = 29)"
    return same_day
