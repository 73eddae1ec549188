"""Statistics over a sweep's jobs: mean and std per group of seeds, and Welch intervals between groups."""

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
    if statistics.variance(a) + statistics.variance(b) == 0:  # no spread: t is undefined, the interval a point
        return difference, difference, difference
    interval = scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence_level=level)
    return difference, float(interval.low), float(interval.high)


def verdict(interval: tuple[float, float, float], first: str, second: str, runs: int, level: float = 0.95) -> str:
    """Which of two groups is lower, when the interval of first - second excludes 0 at its level."""
    difference, low, high = interval
    if low > 0 or high < 0:
        return f"{second if difference > 0 else first} lower (significant at {round((1 - level) * 100, 6):g} %)"
    return f"not distinguishable with {runs} seeds"


@dataclass
class Comparison:
    first: str
    second: str
    differs_in: str
    runs: tuple[int, int]
    interval: tuple[float, float, float] | None
    level: float = 0.95

    @property
    def verdict(self) -> str:
        if self.interval is None:
            return "needs at least 2 seeds per group"
        return verdict(self.interval, self.first, self.second, min(self.runs), self.level)


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
