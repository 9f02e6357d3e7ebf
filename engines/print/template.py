"""The PRINT_TEMPLATES section: one printable layout of a form's records, and the page it prints on."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engines.form.fields.base import KEY_PATTERN

# The key of the template made from a form's layout; app templates may not take it.
DEFAULT_KEY = "default"

# Paper → (width, height) when printed upright. Receipt rolls (58/80 mm) print on a long strip.
PAPERS: dict[str, tuple[str, str]] = {
    "A3": ("297mm", "420mm"),
    "A4": ("210mm", "297mm"),
    "A5": ("148mm", "210mm"),
    "B5": ("176mm", "250mm"),
    "letter": ("8.5in", "11in"),
    "241mm": ("241mm", "280mm"),  # continuous form paper of dot-matrix printers (241 × 280, 二等分)
    "80mm": ("80mm", "297mm"),
    "58mm": ("58mm", "297mm"),
}
Paper = Literal["A3", "A4", "A5", "B5", "letter", "241mm", "80mm", "58mm"]
# CSS lengths only: the value goes into a style sheet, so nothing else may pass.
MARGINS_PATTERN = r"^\d{1,3}(\.\d{1,2})?(mm|cm|in|pt|px)( \d{1,3}(\.\d{1,2})?(mm|cm|in|pt|px)){0,3}$"


class PrintTemplateDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    form: str = Field(pattern=KEY_PATTERN, description="key of the form whose records it prints")
    name: str = Field(min_length=1, max_length=200)
    html: str = Field(min_length=1, max_length=200_000,
                      description="HTML body with Jinja2 tags: {{ record.field }}, {% for row in record.lines %}…")
    paper: Paper = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    margins: str | None = Field(default=None, pattern=MARGINS_PATTERN,
                                description="CSS margins of the page, e.g. '12mm' or '10mm 15mm'")

    def page_size(self) -> str:
        width, height = PAPERS[self.paper]
        return f"{height} {width}" if self.orientation == "landscape" else f"{width} {height}"

    def page_margins(self) -> str:
        if self.margins:
            return self.margins
        return "3mm" if self.paper in ("80mm", "58mm") else "12mm"
