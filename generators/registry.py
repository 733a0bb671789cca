"""The generator registry: built-ins by name with lazy targets; entry-point group
``dgpbench.generators`` for third parties."""

from __future__ import annotations

from typing import Any

from dgpbench.registry import Registry

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
    },
)


def generator_class(name: str) -> type:
    return GENERATORS.get(name)


def load_generator(name: str, **params: Any):
    """Build a registered generator by name with validated parameters."""
    return generator_class(name)(**params)
