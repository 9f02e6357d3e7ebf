"""What every field type is: its definition model, storage, widget, coercion and output."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import tzinfo, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from engines.problems import Problem

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
# Names every record has; a field may not take them.
SYSTEM_FIELDS = ("id", "created_at", "updated_at", "created_by", "updated_by", "owner", "version")

# Storage kinds a field type may declare; the runtime maps each to one SQL column type.
STORAGES = ("text", "integer", "float", "decimal", "date", "datetime", "boolean", "json")
# The JSON Schema of a value by storage kind (a type overrides json_schema where it knows more).
STORAGE_SCHEMAS = {"text": {"type": "string"}, "integer": {"type": "integer"}, "float": {"type": "number"},
                   "decimal": {"type": "number"}, "date": {"type": "string", "format": "date"},
                   "datetime": {"type": "string", "format": "date-time"}, "boolean": {"type": "boolean"}, "json": {}}
_LIMITS = (("max_length", "maxLength"), ("min_length", "minLength"), ("min", "minimum"), ("max", "maximum"))


class FieldError(Exception):
    """One value is wrong; `code` and `params` name a message in engines.problems."""

    def __init__(self, code: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(code)


@dataclass(frozen=True)
class Context:
    """What coercion needs from the outside world: the deployment's time zone."""

    tz: tzinfo = timezone.utc


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=200)
    label: str | None = None
    color: str | None = Field(default=None, max_length=30)


class FieldBase(BaseModel):
    """Properties every field accepts. Each type adds its own; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    type: str
    label: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    required: bool = False
    default: Any = None
    unique: bool = False
    hidden: bool = False
    readonly: bool = False
    placeholder: str | None = Field(default=None, max_length=200)
    width: int | None = Field(default=None, ge=1, le=4, description="columns of the form layout the field spans")


class FieldType(ABC):
    key: ClassVar[str]
    storage: ClassVar[str | None]  # None: the field has no column (sub-table, many-relation)
    props: ClassVar[type[FieldBase]]
    widget: ClassVar[str]
    unique_ok: ClassVar[bool] = True
    is_generated: ClassVar[bool] = False  # set by the system, never by a client
    expr_kind: ClassVar[str] = "text"  # the value's type in expressions (engines.expr.types)
    icon: ClassVar[str]  # an Ant Design icon name for the builder's palette, e.g. "FieldTimeOutlined"
    label: ClassVar[tuple[str, str]]  # the type's name shown to builders: (zh-CN, en)
    in_subtable: ClassVar[bool] = True  # may be a column of a sub-table row (rows have no system columns)

    def storage_for(self, f: Any) -> str | None:
        """The column kind for this definition (a many-relation has none)."""
        return self.storage

    @abstractmethod
    def coerce(self, f: Any, value: Any, ctx: Context) -> Any:
        """A non-empty input value → the stored value, or FieldError."""

    def check_empty(self, f: Any) -> None:
        """An empty value may still break a limit of the definition (at least N rows): raise FieldError."""

    def dump(self, f: Any, stored: Any, ctx: Context) -> Any:
        """Stored value → JSON value for the API."""
        return stored

    def check_def(self, f: Any) -> list[Problem]:
        """Extra checks of a definition, paths relative to the field."""
        return []

    def expr_kind_for(self, f: Any) -> str:
        """The value's type in expressions for this definition (one member is a number, many a list)."""
        return self.expr_kind

    def to_cell(self, f: Any, dumped: Any) -> Any:
        """The API value (what `dump` gave) → a spreadsheet cell a person reads, and that `coerce` reads back."""
        return dumped

    def json_schema(self, f: Any) -> dict:
        """The value's JSON Schema in the records API (OpenAPI): by storage kind, with the definition's limits,
        label and description; generated values are read-only."""
        schema = dict(STORAGE_SCHEMAS.get(self.storage_for(f) or "json", {}))
        schema.update({key: getattr(f, prop) for prop, key in _LIMITS if getattr(f, prop, None) is not None})
        if getattr(f, "label", None):
            schema["title"] = f.label
        if getattr(f, "description", None):
            schema["description"] = f.description
        if self.is_generated:
            schema["readOnly"] = True
        return schema

    def references(self, f: Any, stored: Any) -> tuple[str, list[int]] | None:
        """Platform rows a stored value points at, for the runtime to check they exist: ("user", [7, 9])."""
        return None
