"""What one generator section of the report shows: a generator, or the replications of one
data set drawn as one (IHDP's replications differ only in the ``replication`` parameter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.verdict import pool_replications


def replication_groups(data: RunData) -> list[list[str]]:
    """Generator labels of one registered generator whose parameters differ only in
    ``replication`` (the shared parameter name for a data set's replications)."""
    reg = data.registered("generator")
    by: dict[tuple, list[str]] = defaultdict(list)
    for g in data.generators:
        p = dict(data.params(g))
        if "replication" not in p:
            continue
        p.pop("replication")
        by[(reg[g], repr(sorted(p.items())))].append(g)
    return [sorted(gs, key=lambda g: (data.params(g)["replication"], g)) for gs in by.values() if len(gs) > 1]


def group_label(registered: str, n: int) -> str:
    return f"{registered} · {n} replications"


def pooled_faces(data: RunData) -> list[dict]:
    """Face rows of each replication group pooled over its replications (mean +- se over
    replications, ranks paired by replication): one row per group, model and face."""
    reg = data.registered("generator")
    groups = {
        group_label(reg[gs[0]], len(gs)): [(g, int(data.params(g)["replication"])) for g in gs]
        for gs in replication_groups(data)
    }
    return pool_replications(data.faces, groups, data.info)


def pooled_summary(data: RunData) -> list[dict]:
    """:func:`leaderboard.face_summary` rows of the pooled groups (cells counted over members)."""
    reg = data.registered("generator")
    label = {g: group_label(reg[gs[0]], len(gs)) for gs in replication_groups(data) for g in gs}
    cells = [dict(c, generator=label[c["generator"]]) for c in data.cells if c["generator"] in label]
    return lb.face_summary(pooled_faces(data), cells)


@dataclass(frozen=True)
class Unit:
    """What one generator section shows: a generator, or a replication group drawn as one."""

    label: str
    members: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.members[0]

    @property
    def is_group(self) -> bool:
        return len(self.members) > 1


def units(data: RunData) -> list[Unit]:
    """Generators in suite order; a replication group takes the place of its first member."""
    groups = {gs[0]: gs for gs in replication_groups(data)}
    members = {g for gs in groups.values() for g in gs}
    reg = data.registered("generator")
    out = []
    for g in data.generators:
        if g in groups:
            gs = groups[g]
            out.append(Unit(group_label(reg[g], len(gs)), tuple(gs)))
        elif g not in members:
            out.append(Unit(g, (g,)))
    return out


def anchor(data: RunData, generator: str) -> str:
    """The id of the section that shows a generator: by position, so any label makes a valid
    fragment; a replication group's members all point at the group's section."""
    for gs in replication_groups(data):
        if generator in gs:
            generator = gs[0]
    return f"gen-{data.generators.index(generator)}"
