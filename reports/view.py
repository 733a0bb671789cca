"""The unit every page is made of (asv's idea): a view with a name, a title and an order.

A view turns the page's data into a plain context for its own template
(``templates/_<name>.html.j2``), or ``None`` when it has nothing to show.
"""

from __future__ import annotations

from typing import Any


class View:
    name: str = ""
    title: str = ""
    order: int = 0

    @property
    def template(self) -> str:
        return f"_{self.name}.html.j2"

    def context(self, data: Any) -> dict[str, Any] | None:
        raise NotImplementedError


def build(views: list[View], data: Any) -> list[tuple[View, dict[str, Any]]]:
    """The views that have something to show, in order, with their contexts."""
    out = []
    for v in sorted(views, key=lambda v: (v.order, v.name)):
        ctx = v.context(data)
        if ctx is not None:
            out.append((v, ctx))
    return out
