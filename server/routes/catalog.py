from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from semantic_layer.catalog import describe_model

from .dependencies import IdentityDep, StateDep

router = APIRouter(tags=["catalog"])


@router.get("/catalog")
def catalog(
    state: StateDep, identity: IdentityDep, lang: Literal["zh", "en"] | None = None
) -> dict[str, Any]:
    """Metrics, dimensions, record fields and example questions, labelled in `lang`; the dimensions'
    values only as far as the caller may see them."""
    model = state.layer.model
    described = describe_model(model, lang or model.default_language)
    visible = state.planners.planner(identity).values  # read as the caller, access policies applied
    for dimension in described["dimensions"]:
        if dimension["name"] in visible:
            seen = set(visible[dimension["name"]])
            dimension["values"] = [v for v in dimension["values"] if v["value"] in seen]
            dimension["sample_values"] = [v for v in dimension["sample_values"] if v in seen]
    return described | {"data_as_of": state.data_as_of}
