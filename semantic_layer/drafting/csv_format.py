"""How a CSV file is written: its encoding, its delimiter and its header, read from the file's start.

DuckDB reads the file itself (with these options given explicitly, every column as text); this only
looks at the first block. Files in another encoding than UTF-8 (GB18030 from a Chinese Excel, Latin-1,
UTF-16) are copied to UTF-8 first (`to_utf8`), since DuckDB reads UTF-8 without extensions.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import DraftError

DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 256 * 1024
_SAMPLE_RECORDS = 50


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    """Python codec name of the file's encoding (`utf-8` when it needs no conversion)."""
    delimiter: str
    header: tuple[str, ...]
    """Column names as written (whitespace trimmed; empty names become `column_N`)."""


def sniff_csv(path: Path) -> CsvFormat:
    """The encoding, delimiter and header of the CSV file at `path`."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
            complete = not handle.read(1)
    except OSError as error:
        raise DraftError(f"cannot read {path}: {error.strerror}") from None
    encoding = _encoding(head)
    text = _decode(head, encoding, complete)
    if not text.strip():
        raise DraftError(f"{path} is empty: there is no header row to read column names from")
    delimiter = max(DELIMITERS, key=lambda d: _consistency(text, d))
    rows = _records(text, delimiter)
    header = tuple(
        name.strip() or f"column_{index + 1}" for index, name in enumerate(rows[0] if rows else [])
    )
    return CsvFormat(encoding=encoding, delimiter=delimiter, header=header)


def to_utf8(path: Path, encoding: str, out: Path) -> None:
    """Copy the text file `path` (in `encoding`) to `out` in UTF-8, without a byte-order mark."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as source, out.open("w", encoding="utf-8", newline="") as target:
        first = True
        while chunk := source.read(1 << 20):
            text = decoder.decode(chunk)
            if first:
                text = text.lstrip("\ufeff")
                first = False
            target.write(text)
        target.write(decoder.decode(b"", final=True))


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 4:  # a character cut by the block's end
            return "utf-8"
    # GB18030 decodes most byte strings: believe it only when what it reads is Chinese.
    wide = [ch for ch in head.decode("gb18030", errors="replace") if ord(ch) > 127]
    chinese = sum("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in wide)
    return "gb18030" if wide and chinese >= 0.8 * len(wide) else "cp1252"


def _decode(head: bytes, encoding: str, complete: bool) -> str:
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    if not complete and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut
    return text


def _records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True)
    records: list[list[str]] = []
    try:
        for row in reader:
            if row:
                records.append(row)
            if len(records) >= _SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    return records


def _consistency(text: str, delimiter: str) -> tuple[bool, float, int]:
    """How well `delimiter` splits the sample: several columns, the same number in every record."""
    rows = _records(text, delimiter)
    if not rows:
        return (False, 0.0, 0)
    width = len(rows[0])
    same = sum(len(row) == width for row in rows) / len(rows)
    return (width > 1, same, width)
