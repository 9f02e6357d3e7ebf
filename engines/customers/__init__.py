"""Customers from many channels as one person (OneID): identity kinds and their normalisation, the app's identity
section, checking a batch of channel events, and planning which events belong to which customer."""
from engines.customers import messages  # noqa: F401  (registers the messages)
from engines.customers.channels import CHANNELS, Channel
from engines.customers.definition import ChannelDef, IdentityDef, identity_problems
from engines.customers.events import Key, ParsedEvent, parse_events, parse_time
from engines.customers.kinds import KINDS, IdentityError, IdentityKind
from engines.customers.plan import Group, fill, fold, plan

__all__ = ["CHANNELS", "KINDS", "Channel", "ChannelDef", "Group", "IdentityDef", "IdentityError", "IdentityKind", "Key",
           "ParsedEvent", "fill", "fold", "identity_problems", "parse_events", "parse_time", "plan"]
