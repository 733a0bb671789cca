"""The generator registry: built-ins by name with lazy targets; entry-point group
``dgpbench.generators`` for third parties.

:func:`lookups` is the scaffolding every layer's registry shares (the models' registry
imports it from here: generators are left of models)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from dgpbench.generators.base import Generator
from dgpbench.registry import Registry

T = TypeVar("T")


def lookups(registry: Registry, base: type[T]) -> tuple[Callable[[str], type[T]], Callable[..., T]]:
    """``(class_of(name), load(name, **params))`` for a registry whose entries subclass
    ``base`` (which only types them): the registered class, and an instance built with
    validated parameters."""

    def class_of(name: str) -> type[T]:
        return cast("type[T]", registry.get(name))  # registered by name: its type is the registry's promise

    def load(name: str, **params: Any) -> T:
        return class_of(name)(**params)

    return class_of, load


GENERATORS = Registry(
    "generator",
    "dgpbench.generators",
    {
        "did_panel": "dgpbench.generators.did_panel:DidPanel",
        "heteroscedastic": "dgpbench.generators.heteroscedastic:Heteroscedastic",
        "two_mode_mixture": "dgpbench.generators.two_mode_mixture:TwoModeMixture",
        "radon_like": "dgpbench.generators.radon_like:RadonLike",
        "radon_mn": "dgpbench.generators.radon_mn:RadonMN",
        "ihdp": "dgpbench.generators.ihdp:IHDP",
        "linear": "dgpbench.generators.linear:Linear",
        "nie_wager": "dgpbench.generators.nie_wager:NieWager",
        "iris": "dgpbench.generators.iris:Iris",
    },
)

generator_class, load_generator = lookups(GENERATORS, Generator)
