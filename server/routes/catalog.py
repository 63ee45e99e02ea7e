from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from semantic_layer.catalog import describe_model

from .dependencies import IdentityDep, StateDep

router = APIRouter(tags=["catalog"])


@router.get("/catalog")
def catalog(state: StateDep, _: IdentityDep, lang: Literal["zh", "en"] | None = None) -> dict[str, Any]:
    """Metrics, dimensions, record fields and example questions, labelled in `lang`."""
    model = state.layer.model
    return describe_model(model, lang or model.default_language) | {"data_as_of": state.data_as_of}
