"""Reading the demo database's own record of how it was generated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb


def demo_database_as_of(path: Path) -> date | None:
    """The as-of date stored in a demo database, or None when it cannot be read (then regenerate)."""
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            row = connection.execute("SELECT value FROM demo_metadata WHERE key = 'as_of'").fetchone()
    except duckdb.Error:
        return None
    try:
        return date.fromisoformat(row[0]) if row else None
    except ValueError:
        return None
