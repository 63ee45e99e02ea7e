"""Read the MetricFlow parts of a dbt project: `semantic_models:` and `metrics:` from its YAML files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import DraftError

REF = re.compile(
    r"""ref\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]\s*(?:,\s*v(?:ersion)?\s*=\s*\S+\s*)?\)"""
)
"""`ref('orders')`, `ref('package', 'orders')`, `ref('orders', v=2)`: the model name."""


@dataclass(frozen=True)
class SemanticSpec:
    """One MetricFlow semantic model, as read."""

    name: str
    source: str
    spec: dict[str, Any]
    file: Path

    def items(self, key: str) -> list[dict[str, Any]]:
        return [item for item in self.spec.get(key) or [] if isinstance(item, dict) and item.get("name")]

    @property
    def time_dimension(self) -> str | None:
        default = (self.spec.get("defaults") or {}).get("agg_time_dimension")
        times = [d["name"] for d in self.items("dimensions") if d.get("type") == "time"]
        return default or (times[0] if times else None)

    def primary_entity(self) -> dict[str, Any] | None:
        return next(
            (e for e in self.items("entities") if e.get("type") in ("primary", "unique", "natural")), None
        )

    def column_of(self, kind: str, name: str) -> str | None:
        """The SQL of this model's dimension (or entity) `name`."""
        items = self.items("entities") if kind == "Entity" else self.items("dimensions")
        found = next((item for item in items if item["name"] == name), None)
        return str(found.get("expr") or name) if found else None


def read_project(paths: Sequence[Path]) -> tuple[list[SemanticSpec], list[tuple[dict[str, Any], Path]]]:
    """The semantic models and the metrics (with the file each came from) in the YAML files of `paths`
    (files, or directories searched recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise DraftError(f"no such file or directory: {path}")
    semantics: list[SemanticSpec] = []
    metrics: list[tuple[dict[str, Any], Path]] = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
            raise DraftError(f"cannot read {file}: {error}") from None
        if not isinstance(data, dict):
            continue
        for spec in data.get("semantic_models") or []:
            if isinstance(spec, dict) and spec.get("name"):
                semantics.append(SemanticSpec(str(spec["name"]), _source(spec), spec, file))
        metrics += [(m, file) for m in data.get("metrics") or [] if isinstance(m, dict) and m.get("name")]
    if not semantics:
        raise DraftError("no `semantic_models:` found in " + ", ".join(str(p) for p in paths))
    return semantics, metrics


def _source(spec: dict[str, Any]) -> str:
    match = REF.search(str(spec.get("model") or ""))
    return match.group(1) if match else str(spec["name"])
