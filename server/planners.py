"""One planner per set of rows a user may see: its value index (the data values questions can match) is
read through the semantic layer as that user, so a question can only match values the user may see."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from datetime import date

from agent.parser import Planner
from agent.value_index import build_value_index
from semantic_layer.identity import Identity, RowFilter, row_filters
from semantic_layer.layer import SemanticLayer
from semantic_layer.periods import FixedClock

PlannerKey = tuple[RowFilter, ...]
DEFAULT_CAPACITY = 256


class PlannerCache:
    """Planners built lazily and kept per access-policy scope (identities that see the same rows share
    one), the least recently used dropped beyond `capacity`. Building blocks: call it off the event loop."""

    def __init__(self, layer: SemanticLayer, capacity: int = DEFAULT_CAPACITY) -> None:
        self.layer = layer
        self.capacity = capacity
        self._planners: OrderedDict[PlannerKey, Planner] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[PlannerKey, threading.Lock] = {}

    def key(self, identity: Identity) -> PlannerKey:
        return tuple(row_filters(self.layer.model, identity))

    def cached(self, identity: Identity) -> bool:
        with self._lock:
            return self.key(identity) in self._planners

    def planner(self, identity: Identity) -> Planner:
        """The planner for `identity`, built (once, even under concurrent requests) on first use."""
        key = self.key(identity)
        with self._lock:
            if key in self._planners:
                self._planners.move_to_end(key)
                return self._planners[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._planners:
                    return self._planners[key]
            values = build_value_index(self.layer, identity)
            planner = Planner(self.layer.model, values, self.layer.clock, scoped=bool(key))
            with self._lock:
                self._planners[key] = planner
                self._building.pop(key, None)
                while len(self._planners) > self.capacity:
                    self._planners.popitem(last=False)
        return planner


def planner_as_of(planner: Planner, day: date | None) -> Planner:
    """The planner reading relative periods ("this month") as of `day`; the same planner when None."""
    if day is None:
        return planner
    dated = copy.copy(planner)  # shares the vocabulary; only the clock differs
    dated.clock = FixedClock(day)
    return dated
