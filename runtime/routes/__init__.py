"""HTTP routes of the runtime, one module per resource."""
