"""Pydantic models of the `nocode.app/v1` format; the JSON Schema served to builders comes from here."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.access import RoleDef
from engines.customers.definition import IdentityDef
from engines.demo.recipe import DemoDef
from engines.form.definition import FormDef
from engines.form.fields.base import KEY_PATTERN
from engines.integration.definition import ConnectorDef
from engines.print.template import PrintTemplateDef
from engines.report.dashboards import DashboardDef
from engines.report.definition import ReportDef
from engines.rules.decision import DecisionTableDef
from engines.rules.definition import RuleDef
from engines.views import ViewDef

FORMAT = "nocode.app/v1"


class MenuDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=100)
    form: str | None = Field(default=None, pattern=KEY_PATTERN)
    dashboard: str | None = Field(default=None, pattern=KEY_PATTERN)
    icon: str | None = Field(default=None, max_length=100)
    children: list["MenuDef"] = Field(default_factory=list)


class AppDef(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"$id": "https://nocode.local/schema/app.json"})
    format: Literal["nocode.app/v1"]
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    version: str = Field(default="1.0.0", max_length=40)
    description: str | None = Field(default=None, max_length=5000)
    forms: list[FormDef] = Field(default_factory=list, max_length=500)
    flows: list[dict[str, Any]] = Field(default_factory=list, max_length=200,
                                        description="approval and automation flows (docs/flows.md), checked by "
                                                    "engines.flow.validate_flows")
    rules: list[RuleDef] = Field(default_factory=list, max_length=500,
                                 description="when (event or schedule) if (condition) then (actions) (docs/rules.md)")
    decision_tables: list[DecisionTableDef] = Field(default_factory=list, max_length=200,
                                                    description="decision tables, used as DECIDE('key', …).output "
                                                                "(docs/decision-tables.md)")
    reports: list[ReportDef] = Field(default_factory=list, max_length=500,
                                     description="reports over a form's records (docs/reports.md)")
    dashboards: list[DashboardDef] = Field(default_factory=list, max_length=100,
                                           description="report widgets on a grid with shared filters")
    views: list[ViewDef] = Field(default_factory=list, max_length=500, description=(
        "views of a form's records: table, kanban, calendar, gallery, gantt, tree (docs/views.md)"))
    print_templates: list[PrintTemplateDef] = Field(default_factory=list, max_length=500)
    roles: list[RoleDef] = Field(default_factory=list, max_length=200,
                                 description="who may do what: operations per form, field access, row scopes")
    identity: IdentityDef | None = Field(default=None, description=(
        "the customer form, the fields holding identities and the channels events come from (docs/customers.md)"))
    connectors: list[ConnectorDef] = Field(default_factory=list, max_length=100, description=(
        "HTTP connectors: auth by secret name, rate limit, outbound and inbound operations (docs/integration.md)"))
    menus: list[MenuDef] = Field(default_factory=list)
    data: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict, description="seed records per form key; '$id' names a record, {'$ref': id} links to it")
    demo: DemoDef | None = Field(default=None, description=(
        "a recipe for demo data in bulk: records per form (scaled by --scale) and a generator per field "
        "(docs/demo-data.md); loaded after `data` by import-template --demo-data"))

    @model_validator(mode="after")
    def _resolve_computed(self) -> "AppDef":
        """Lookups and rollups learn which field they read, so their column type follows it."""
        from engines.form.computed import resolve

        resolve(self.forms)
        return self

    @model_validator(mode="after")
    def _share_decision_tables(self) -> "AppDef":
        """Each form carries the app's decision tables, so an expression scope built from the forms knows them."""
        tables = {t.key: t for t in self.decision_tables}
        for form in self.forms:
            form._decisions = tables
        return self

    def form(self, key: str) -> FormDef | None:
        return next((f for f in self.forms if f.key == key), None)

    def dump(self) -> dict:
        """The document as a builder wrote it: defaults left out, order kept."""
        return self.model_dump(mode="json", exclude_defaults=True, by_alias=True) | {"format": FORMAT}


def app_json_schema() -> dict:
    schema = AppDef.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "nocode.app/v1"
    return schema
