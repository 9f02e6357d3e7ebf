"""What a view type is: its key, its settings model, and the checks of those settings against the form."""
from __future__ import annotations

from typing import ClassVar, Protocol

from engines.problems import Problem


class FieldCheck(Protocol):
    """The view's form as the checks see it (engines/views/validate.py ViewCheck)."""

    def value_field(self, key: str, where: str) -> str | None: ...
    def field_of(self, key: str, where: str, want: str) -> str | None: ...
    def columns(self, keys: list[str], where: str) -> None: ...


class ViewType:
    key: ClassVar[str]
    model: ClassVar[type]
    label: ClassVar[tuple[str, str]]  # (zh-CN, en)

    def problems(self, view, check) -> list[Problem]:
        """Problems of the type's own settings; paths relative to the view. Report through `check`."""
        return []
