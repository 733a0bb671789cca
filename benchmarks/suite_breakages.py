"""The suite key ``breaks``: a model entry that is a deliberately broken variant of another.

``breaks: {model: LABEL, face: FACE, catch: worse|suspect, what: TEXT}`` says which correct
model entry the variant breaks, which face must catch it and what is broken; ``face``,
``catch`` and ``what`` default to what the variant's class declares
(:class:`dgpbench.models.sensitivity.Breakage`). The suite is stored with its run, so the
report's sensitivity section reads the pairing from the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dgpbench.errors import BadInput, closest

if TYPE_CHECKING:
    from dgpbench.benchmarks.suite import Entry

BREAKS_KEYS = ("model", "face", "catch", "what")


def fail(source: str, key: str, msg: str) -> BadInput:
    return BadInput(f"{source}: {key}: {msg}")


def entry(value: Any, cls: Any, source: str, key: str) -> dict[str, str]:
    """``{model, face, catch, what}``, the last three defaulting to the variant class's declaration."""
    from dgpbench.models.sensitivity import CATCHES
    from dgpbench.vocabulary import FACES

    if not isinstance(value, dict):
        raise fail(source, key, f"must be a mapping with keys {list(BREAKS_KEYS)}, got {type(value).__name__}")
    for k in value:
        if k not in BREAKS_KEYS:
            raise fail(source, f"{key}.{k}", f"unknown key; {closest(str(k), BREAKS_KEYS)}")
    declared = getattr(cls, "breakage", None)
    out = {
        "model": value.get("model"),
        "face": value.get("face", declared.face if declared else None),
        "catch": value.get("catch", declared.catch if declared else "worse"),
        "what": value.get("what", declared.what if declared else ""),
    }
    if not isinstance(out["model"], str):
        raise fail(source, f"{key}.model", "is required: the label of the correct model this entry breaks")
    if out["face"] not in FACES:
        raise fail(source, f"{key}.face", f"{out['face']!r} is no face; {closest(str(out['face']), FACES)}")
    if not isinstance(out["what"], str):
        raise fail(source, f"{key}.what", "must be a string saying what the variant breaks")
    if out["catch"] not in CATCHES:
        raise fail(source, f"{key}.catch", f"{out['catch']!r}: write one of {list(CATCHES)}")
    return out


def check(models: tuple[Entry, ...], source: str) -> None:
    """Each ``breaks`` names another model entry that runs on some generator with it, and a
    sensitivity-only model (a variant or its yardstick) appears only in such a pairing, so an
    ordinary suite never ranks a deliberately broken model by accident."""
    from dgpbench.models.registry import MODELS
    from dgpbench.models.sensitivity import is_sensitivity_only

    by_label = {m.label: m for m in models}
    paired = {m.breaks["model"] for m in models if m.breaks}
    for i, m in enumerate(models):
        key = f"models[{i}]"
        if m.breaks:
            target = m.breaks["model"]
            if target == m.label or target not in by_label:
                others = [x for x in by_label if x != m.label]
                raise fail(
                    source,
                    f"{key}.breaks.model",
                    f"{target!r} is no other model of this suite; {closest(target, others)}",
                )
            mine, theirs = m.on, by_label[target].on
            if mine is not None and theirs is not None and not set(mine) & set(theirs):
                raise fail(source, f"{key}.breaks.model", f"{target!r} runs on none of this entry's generators")
        elif is_sensitivity_only(MODELS.get(m.name)) and m.label not in paired:
            raise fail(
                source,
                key,
                f"{m.name!r} is a sensitivity model, not an ordinary one: run it beside the correct "
                "model it breaks, with `breaks: {model: LABEL}` (see suites/sensitivity.yaml)",
            )
