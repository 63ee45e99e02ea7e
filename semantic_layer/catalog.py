"""The catalog: what a model offers people (metrics, dimensions, fields, example questions) in one language."""

from __future__ import annotations

from typing import Any

from .model import Language, SemanticModel


def describe_model(model: SemanticModel, language: Language) -> dict[str, Any]:
    """A JSON-ready description of the model for clients and planners; hidden metrics are left out."""

    def text(value: Any) -> str | None:
        return value.get(language) if value is not None else None

    return {
        "name": model.name,
        "description": text(model.description),
        "language": language,
        "default_time_range": model.default_time_range,
        "metrics": [
            {
                "name": m.name,
                "label": m.label.get(language),
                "synonyms": list(m.synonyms.all()),
                "description": text(m.description),
                "format": m.format,
                "unit": m.unit,
                "polarity": m.polarity,
                "target": m.target.model_dump() if m.target else None,
                "type": m.type,
            }
            for m in model.metrics
            if not m.hidden
        ],
        "dimensions": [
            {
                "name": d.name,
                "type": d.type,
                "label": d.label.get(language),
                "synonyms": list(d.synonyms.all()),
                "description": text(d.description),
                "grains": list(d.grains) if d.type == "time" else [],
                "values": [{"value": v, "label": d.value_label(v, language)} for v in d.values],
                "sample_values": list(d.sample_values),
            }
            for d in model.dimensions
        ],
        "fields": [
            {"name": a.name, "label": a.label.get(language), "type": a.type, "format": a.format}
            for a in model.attributes
        ],
        "example_questions": [q.question.get(language) for q in model.verified_questions],
    }
