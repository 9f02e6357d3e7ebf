"""Integration, the pure parts: connector definitions (the app's `connectors`), their validation, field mapping
(JSON paths and expressions over JSON) and body signatures. The runtime does the HTTP (runtime/connectors.py,
runtime/webhooks.py)."""
from engines.integration.definition import (AuthDef, ConnectorDef, EachDef, EventsDef, OperationDef, RateLimitDef,
                                            WriteDef, parse_connectors)
from engines.integration.mapping import Evaluator, MappingError, items_of, read_path
from engines.integration.presets import apply_preset
from engines.integration.signature import SIGNATURE_HEADER, digest, digest_matches, sign, verify
from engines.integration.validate import connector_problems, flow_connector_problems

__all__ = ["apply_preset", "AuthDef", "ConnectorDef", "EachDef", "EventsDef", "Evaluator", "MappingError",
           "OperationDef", "RateLimitDef", "SIGNATURE_HEADER", "WriteDef", "connector_problems", "digest", "digest_matches",
           "flow_connector_problems", "items_of", "parse_connectors", "read_path", "sign", "verify"]
