"""What `chatbi init` reads: CSV, Parquet and DuckDB files, or a directory of them (loaded into DuckDB);
a database URL (postgresql://..., spark-local://..., sc://...) is read in place instead (`database.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import DraftError

SourceKind = Literal["csv", "parquet", "duckdb"]
SUFFIXES: dict[str, SourceKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".duckdb": "duckdb",
    ".ddb": "duckdb",
    ".db": "duckdb",
}
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    path: Path
    kind: SourceKind


def is_database_url(location: str) -> bool:
    """Whether `location` is a URL (a database to read in place) rather than a file or directory."""
    return _URL.match(location) is not None


def find_sources(location: str) -> list[Source]:
    """The files `location` names: one file, or the readable files of a directory (sorted by name)."""
    if is_database_url(location):
        scheme = location.split("://", 1)[0]
        raise DraftError(
            f"{scheme}://... is a database URL, not a file: draft from it with init_from_database"
        )
    path = Path(location)
    if path.is_dir():
        found = [Source(p, SUFFIXES[p.suffix.lower()]) for p in sorted(path.iterdir())
                 if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")]  # fmt: skip
        if not found:
            kinds = ", ".join(sorted(SUFFIXES))
            raise DraftError(f"{path} holds no data files ({kinds})")
        return found
    if not path.exists():
        raise DraftError(f"no such file or directory: {path}")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        kinds = ", ".join(sorted(SUFFIXES))
        raise DraftError(f"{path}: unknown kind of file '{path.suffix}' (chatbi init reads {kinds})")
    return [Source(path, kind)]
