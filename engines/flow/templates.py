"""Message text (notify, CC, HTTP bodies and URLs) as Jinja2 in the print engine's sandbox, without HTML escaping:
`{{ record.no }}`, `{{ vars.total }}`, `{{ initiator }}`. Compiled once per flow version; rendering is bounded."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from engines.print.sandbox import Limits, PrintEnvironment, PrintError

MESSAGE_LIMITS = Limits(steps=100_000, output=20_000)


class MessageEnvironment(PrintEnvironment):
    def __init__(self):
        super().__init__()
        self.autoescape = False  # messages are plain text, not HTML
        self.finalize = _plain


def _plain(value: Any) -> Any:
    """Empty prints as nothing and a whole number as one (expressions compute in floats: 2.0 → 2)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


@lru_cache(maxsize=1)
def environment() -> MessageEnvironment:
    return MessageEnvironment()


def compile_template(text: str):
    """A compiled template, or PrintError('syntax', message, line)."""
    return environment().compile_template(text)


def render(template, context: dict[str, Any]) -> str:
    """The text; a template that fails while rendering gives its error text instead of stopping the flow."""
    try:
        return environment().render(template, context, MESSAGE_LIMITS)
    except PrintError as e:
        return f"[template error: {e}]"
