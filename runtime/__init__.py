"""The running product: settings, database, dynamic tables, auth, HTTP API, CLI."""
