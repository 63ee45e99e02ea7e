"""Who is asking: user attributes (from a verified token) and roles, and the row filters they imply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import SemanticModel

AttributeValue = str | tuple[str, ...]
_TEMPLATE = re.compile(r"^\{user\.([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class Identity:
    user_id: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    unrestricted: bool = False
    """The local anonymous identity of a laptop or `make demo`: access policies do not apply."""


LOCAL_IDENTITY = Identity(user_id="local", roles=("local",), unrestricted=True)


@dataclass(frozen=True)
class RowFilter:
    """Rows of every table reaching `dimension` must have one of `values`; no values means no rows."""

    dimension: str
    values: tuple[str, ...]


def row_filters(model: SemanticModel, identity: Identity) -> list[RowFilter]:
    """The row filters the model's access policies impose on `identity` (default deny)."""
    filters: list[RowFilter] = []
    if identity.unrestricted:
        return filters
    for policy in model.access_policies:
        if set(policy.bypass_roles) & set(identity.roles):
            continue
        values: list[str] = []
        for template in policy.filter.values:
            match = _TEMPLATE.match(template)
            if match is None:
                values.append(template)
                continue
            attribute = identity.attributes.get(match.group(1))
            if attribute is None or attribute == "" or attribute == ():
                values = []  # the attribute is missing: this user sees nothing
                break
            values.extend((attribute,) if isinstance(attribute, str) else attribute)
        filters.append(RowFilter(policy.filter.dimension, tuple(values)))
    return filters
