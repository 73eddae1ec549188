"""A search's parameters, written as Hydra sweep overrides, turned into Optuna distributions.

    choice(32, 64)                 CategoricalDistribution([32, 64])
    range(1, 5)                    IntDistribution(1, 4)          (Hydra's range stops before its end)
    range(0.1, 0.5, 0.1)           FloatDistribution(0.1, 0.4, step=0.1)
    interval(1e-4, 3e-3)           FloatDistribution(1e-4, 3e-3)
    tag(log, interval(1e-4, 1e-3)) FloatDistribution(1e-4, 1e-3, log=True)

An interval is a float parameter, as in Hydra (an int parameter is a range or a choice). A parameter that is
not a sweep (`iterations=20`) is fixed: every trial gets it as it is.
"""

from dataclasses import dataclass, field

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep, Transformer
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from gan_lightning.core.errors import GANError


class SearchSpaceError(GANError):
    """A parameter the sweeper cannot search: said in one line with the parameter and what to write."""


@dataclass
class SearchSpace:
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    def grid(self) -> dict[str, list]:
        """Every parameter's values, for GridSampler: choices and ranges only (an interval has no grid)."""
        values = {}
        for name, distribution in self.distributions.items():
            if isinstance(distribution, CategoricalDistribution):
                values[name] = list(distribution.choices)
            elif distribution.step is not None and not distribution.log:
                count = round((distribution.high - distribution.low) / distribution.step) + 1
                values[name] = [round(distribution.low + i * distribution.step, 12) for i in range(count)]
            else:
                raise SearchSpaceError(
                    f"the grid sampler needs choice(...) or range(...) for every parameter; {name} is an interval"
                )
        return values

    def overrides(self, params: dict) -> tuple[str, ...]:
        """A trial's command-line overrides: its drawn parameters, then the fixed ones."""
        return tuple(f"{name}={value}" for name, value in {**params, **self.fixed}.items())


def distribution(override: Override) -> BaseDistribution | None:
    """The distribution a sweep override describes; None for a fixed value."""
    if not override.is_sweep_override():
        return None
    value = override.value()
    name = override.get_key_element()
    if isinstance(value, ChoiceSweep) or (isinstance(value, RangeSweep) and value.shuffle):
        return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
    if isinstance(value, RangeSweep):
        values = list(override.sweep_iterator())
        if not values:
            raise SearchSpaceError(f"{name}: {override.input_line} holds no value")
        if all(isinstance(v, int) for v in (*values, value.step)):
            return IntDistribution(values[0], values[-1], step=value.step)
        # The float steps' rounding error (0.9500000000000001) would make the range not divisible by its step
        return FloatDistribution(float(values[0]), round(float(values[-1]), 12), step=float(value.step))
    if isinstance(value, IntervalSweep):
        return FloatDistribution(float(value.start), float(value.end), log="log" in value.tags)
    raise SearchSpaceError(f"{name}: {override.input_line} is not a search parameter (choice, range or interval)")


def parse(params: dict[str, str] | None, arguments: list[str]) -> SearchSpace:
    """The sweeper's `params` and the command line's sweep overrides (which win) as one search space."""
    lines = [f"{name}={value}" for name, value in (params or {}).items()] + list(arguments)
    space = SearchSpace()
    for override in OverridesParser.create().parse_overrides(lines):
        name = override.get_key_element()
        found = distribution(override)
        space.distributions.pop(name, None)
        space.fixed.pop(name, None)
        if found is None:
            space.fixed[name] = override.get_value_element_as_str()
        else:
            space.distributions[name] = found
    return space
