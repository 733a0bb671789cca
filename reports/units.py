"""What one generator section of the report shows: a generator, or the replications of one
data set drawn as one (IHDP's replications differ only in the ``replication`` parameter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dgpbench.reports.data import RunData


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
            out.append(Unit(f"{reg[g]} · {len(gs)} replications", tuple(gs)))
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
