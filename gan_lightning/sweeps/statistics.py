"""Statistics over a sweep's jobs: mean and std per group of seeds, and Welch intervals between groups."""

import math
import statistics
from dataclasses import dataclass

import scipy.stats

from gan_lightning.sweeps.jobs import Job


def group_stats(jobs: list[Job], metrics: list[str]) -> dict[str, dict[str, tuple[float, float, int]]]:
    """Per group and metric: (mean, sample std, number of completed runs)."""
    groups: dict[str, dict[str, tuple[float, float, int]]] = {}
    for group in dict.fromkeys(job.group for job in jobs):
        done = [job for job in jobs if job.group == group and job.status == "completed"]
        groups[group] = {}
        for name in metrics:
            values = [job.metrics[name] for job in done if name in job.metrics]
            if values:
                std = statistics.stdev(values) if len(values) > 1 else 0.0
                groups[group][name] = (statistics.fmean(values), std, len(values))
    return groups


def welch_interval(a: list[float], b: list[float], level: float = 0.95) -> tuple[float, float, float] | None:
    """mean(a) - mean(b) and its Welch confidence interval (unequal variances); None below 2 runs a side."""
    if len(a) < 2 or len(b) < 2:
        return None
    difference = statistics.fmean(a) - statistics.fmean(b)
    var_a, var_b = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if var_a + var_b == 0:
        return difference, difference, difference
    freedom = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    half_width = scipy.stats.t.ppf((1 + level) / 2, freedom) * math.sqrt(var_a + var_b)
    return difference, difference - half_width, difference + half_width


@dataclass
class Comparison:
    first: str
    second: str
    differs_in: str
    runs: tuple[int, int]
    interval: tuple[float, float, float] | None

    @property
    def verdict(self) -> str:
        if self.interval is None:
            return "needs at least 2 seeds per group"
        difference, low, high = self.interval
        if low > 0 or high < 0:
            better = self.first if difference < 0 else self.second
            return f"significant at 5 %: {better} is lower"
        return f"not distinguishable with {min(self.runs)} seeds"


def comparisons(jobs: list[Job], metric: str = "val/fid") -> list[Comparison]:
    """Every pair of groups that differ in exactly one override, with the difference in mean `metric`."""
    values: dict[str, list[float]] = {}
    for job in jobs:
        if job.status == "completed" and metric in job.metrics:
            values.setdefault(job.group, []).append(job.metrics[metric])
    settings = {group: dict(o.split("=", 1) for o in group.split()) for group in values if "=" in group}
    found = []
    for i, first in enumerate(settings):
        for second in list(settings)[i + 1 :]:
            a, b = settings[first], settings[second]
            different = [key for key in a if a[key] != b.get(key)]
            if a.keys() == b.keys() and len(different) == 1:
                runs = (len(values[first]), len(values[second]))
                interval = welch_interval(values[first], values[second])
                found.append(Comparison(first, second, different[0], runs, interval))
    return found
