"""Form engine: the field-type registry, form definitions and record validation/coercion."""
from engines.form.fields import FIELD_TYPES, field_type

__all__ = ["FIELD_TYPES", "field_type"]
