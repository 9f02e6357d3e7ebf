"""The field-type registry. Adding a type is one file plus one line in TYPES below."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model

from engines._registry import Registry
from engines.form.fields.autonumber import Autonumber
from engines.form.fields.base import FieldBase, FieldType
from engines.form.fields.choice import Checkbox, MultiSelect, Select
from engines.form.fields.clock import Duration, Time
from engines.form.fields.codes import Barcode, Color, IdNumber, Wechat
from engines.form.fields.computed import Lookup, Rollup
from engines.form.fields.contact import Email, Phone, Url
from engines.form.fields.dates import Date, DateTime
from engines.form.fields.files import Attachment, Image, Signature
from engines.form.fields.formula import Formula
from engines.form.fields.layout import Divider, Note
from engines.form.fields.number import Money, Number, Percent
from engines.form.fields.people import Department, Member
from engines.form.fields.pickers import Cascade, Radio, Switch
from engines.form.fields.places import Address, Location, RegionField
from engines.form.fields.relation import Relation
from engines.form.fields.richtext import RichText
from engines.form.fields.scale import Rating, Slider
from engines.form.fields.subtable import Subtable
from engines.form.fields.system import CreatedAt, CreatedBy, UpdatedAt, UpdatedBy
from engines.form.fields.tags import Tags
from engines.form.fields.text import LongText, Text

TYPES: list[FieldType] = [
    Text(), LongText(), Number(), Money(), Percent(), Date(), DateTime(), Select(), MultiSelect(),
    Checkbox(), Phone(), Email(), Url(), Relation(), Tags(), Autonumber(), Formula(), Subtable(),
    Time(), Radio(), Switch(), IdNumber(), RegionField(), Address(), Location(), Rating(), RichText(), Barcode(),
    Color(), Slider(), Duration(), Cascade(), Member(), Department(), CreatedBy(), UpdatedBy(), CreatedAt(),
    UpdatedAt(), Divider(), Note(), Wechat(),
    Attachment(), Image(), Signature(),
    Lookup(), Rollup(),
]

FIELD_TYPES: Registry[FieldType] = Registry("field type")
for _type in TYPES:
    FIELD_TYPES.register(_type)


def field_type(key: str) -> FieldType:
    return FIELD_TYPES.get(key)


def _model(t: FieldType, **extra: Any) -> type[FieldBase]:
    name = "".join(part.title() for part in t.key.split("_")) + "Field"
    return create_model(name, __base__=t.props, type=(Literal[t.key], ...), **extra)  # type: ignore[call-overload]


# One definition model per type, joined into unions discriminated by "type".
_plain = {t.key: _model(t) for t in FIELD_TYPES if t.key != "subtable"}
# sub-table rows take value fields only: no layout, no system columns (rows have none)
_in_rows = [model for key, model in _plain.items() if FIELD_TYPES.get(key).in_subtable]
SubFieldDef = Annotated[Union[tuple(_in_rows)], Field(discriminator="type")]  # type: ignore[valid-type]
FIELD_MODELS: dict[str, type[FieldBase]] = {
    **_plain,
    "subtable": _model(FIELD_TYPES.get("subtable"), fields=(list[SubFieldDef], Field(min_length=1, max_length=100))),
}
FieldDef = Annotated[Union[tuple(FIELD_MODELS.values())], Field(discriminator="type")]  # type: ignore[valid-type]

__all__ = ["FIELD_TYPES", "FIELD_MODELS", "FieldDef", "SubFieldDef", "field_type", "FieldType"]
