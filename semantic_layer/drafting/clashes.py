"""Words and values that would name two things in a draft, resolved so that a question reads one way:
a word two fields would share stays with the first (labels before synonyms), two fields of the same name
get told apart, and of two dimensions sharing values the coarser comes first. Each change is noted
for review."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .draft import DraftAttribute, DraftDimension, DraftMetric, Notes, Words
from .profiling import TableProfile

Item = DraftMetric | DraftDimension | DraftAttribute


def without_clashes(
    metrics: list[DraftMetric], dimensions: list[DraftDimension], attributes: list[DraftAttribute]
) -> tuple[list[DraftMetric], list[DraftDimension], list[DraftAttribute]]:
    """The parts with each word naming one thing only: every label keeps its word, then synonyms are
    taken in order (metrics, dimensions, attributes) and one taken already is dropped, with a note.
    A metric may take the label of the record field it aggregates (the parser reads it as the metric)."""
    visible: list[Item] = [*(m for m in metrics if not m.hidden), *dimensions, *attributes]
    taken: dict[str, Item] = {}
    relabelled: dict[int, tuple[Words, list[str]]] = {}
    for item in visible:
        labels = {"en": item.words.label_en, "zh": item.words.label_zh}
        notes: list[str] = []
        for lang, label in list(labels.items()):
            if not label:
                continue
            owner = taken.setdefault(label.lower(), item)
            if owner is not item:  # two fields of the same name: tell them apart
                tables = (getattr(owner, "table", None), getattr(item, "table", None))
                renamed = f"{label} ({tables[1] if tables[1] and tables[0] != tables[1] else item.name})"
                labels[lang] = renamed
                notes.append(
                    f"'{label}' also names {owner.name}: this one is labelled '{renamed}', rename it"
                )
                taken[renamed.lower()] = item
        if notes:
            relabelled[id(item)] = (replace(item.words, label_en=labels["en"], label_zh=labels["zh"]), notes)

    def free(text: str, item: Item) -> Item | None:
        owner = taken.get(text.lower())
        if owner is None or owner is item:
            return None
        if isinstance(item, DraftMetric) and isinstance(owner, DraftAttribute) and item.expr == owner.expr:
            return None
        return owner

    resolved: dict[int, Item] = {}
    for item in visible:
        kept: dict[str, list[str]] = {"en": [], "zh": []}
        dropped: list[str] = []
        for lang, synonyms in (("en", item.words.synonyms_en), ("zh", item.words.synonyms_zh)):
            for synonym in synonyms:
                holder = free(synonym, item)
                if holder is None:
                    kept[lang].append(synonym)
                    taken.setdefault(synonym.lower(), item)
                else:
                    dropped.append(f"'{synonym}' ({holder.name})")
        review = list(item.notes.review)
        words = item.words
        if id(item) in relabelled:
            words, notes = relabelled[id(item)]
            review += notes
        if dropped:
            review.append("synonyms left out as other fields already use them: " + ", ".join(dropped))
        if not isinstance(item, DraftMetric) and (kept["en"] or kept["zh"]):
            review.append("synonyms suggested from the dictionary: check them, add the words your people use")
        words = replace(words, synonyms_en=tuple(kept["en"]), synonyms_zh=tuple(kept["zh"]))
        resolved[id(item)] = replace(item, words=words, notes=Notes(item.notes.comments, tuple(review)))

    def pick(items: list[Any]) -> list[Any]:
        return [resolved.get(id(i), i) for i in items]

    return pick(metrics), pick(dimensions), pick(attributes)


def coarser_first(dimensions: list[DraftDimension], table: TableProfile) -> list[DraftDimension]:
    """Dimensions sharing values (a borough and a city both holding BROOKLYN) with the one of fewer
    values first, in the places they held: a question naming only the value means the first."""
    columns = {c.name: c for c in table.columns}
    values = {
        i: {v.lower() for v, _ in columns[d.expr].top_values}
        for i, d in enumerate(dimensions)
        if d.type == "categorical" and d.expr in columns
    }
    ordered = list(dimensions)
    seen: set[int] = set()
    for i in values:
        group = [j for j in values if j == i or values[i] & values[j]]
        if len(group) < 2 or i in seen:
            continue
        seen.update(group)
        members = sorted((dimensions[j] for j in group), key=lambda d: columns[d.expr].distinct)
        for slot, member in zip(sorted(group), members, strict=True):
            others = [m.name for m in members if m is not member]
            mine = values[dimensions.index(member)]
            shared = sorted(mine & set().union(*(values[j] for j in group if dimensions[j] is not member)))[
                :3
            ]
            note = (
                f"shares values with {', '.join(others)} (e.g. {', '.join(shared)}): a question naming such a "
                f"value alone means {members[0].name}; name the field to mean another ('{shared[0]} "
                f"{(member.words.label_en or member.name).lower()}')"
            )
            ordered[slot] = replace(member, notes=Notes(member.notes.comments, (*member.notes.review, note)))
    return ordered
