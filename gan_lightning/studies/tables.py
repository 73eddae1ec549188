"""A study's tables, rendered from its results file alone: per group, per run, the differences between groups,
and a reproduction against the published numbers. Pages and reproductions share this code, so their layout
and rounding cannot differ."""

import statistics
from collections.abc import Callable

from gan_lightning.sweeps.statistics import verdict, welch_interval

NAMES = {
    "val/fid": "val FID ↓",
    "test/fid": "test FID ↓",
    "val/kid": "val KID ↓",
    "test/kid": "test KID ↓",
    "val/inception_score": "val IS ↑",
    "test/inception_score": "test IS ↑",
    "val/mode_classes": "val digits",
    "test/mode_classes": "test digits",
    "test/d_real_acc": "D acc. real",
    "test/d_fake_acc": "D acc. fake",
    "test/precision": "test precision",
    "test/recall": "test recall",
    "val/precision": "val precision",
    "val/recall": "val recall",
    "val/asked_digit_acc": "asked digit (val)",
    "saturated_share": "share saturated",
    "median_g_grad_norm": "median G grad norm",
}


def number(value: float | None) -> str:
    """Three significant digits at most, no exponent above 1e-3, whole numbers without decimals: 733, 48.5,
    0.954, 1.2e-04, 7."""
    if value is None:
        return "–"
    size = abs(value)
    if size >= 100 or float(value).is_integer():  # counts (digits, iterations) without decimals
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    if size == 0:
        return "0"
    return f"{value:#.3g}" if size >= 1e-3 else f"{value:.1e}"


def spread(values: list[float]) -> str:
    """mean ± std (n), or the value alone for one run."""
    if not values:
        return "–"
    if len(values) == 1:
        return number(values[0])
    return f"{number(statistics.fmean(values))} ± {number(statistics.stdev(values))}"


def done(results: dict) -> list[dict]:
    return [run for run in results["runs"] if run["status"] == "completed"]


def groups(results: dict) -> dict[str, list[dict]]:
    """The completed runs of each group, groups in the study's order."""
    found: dict[str, list[dict]] = {}
    for run in results["runs"]:
        found.setdefault(run["group"], [])
    for run in done(results):
        found[run["group"]].append(run)
    return found


def values(runs: list[dict], name: str) -> list[float]:
    """A metric (or a saturation figure) of each run that has it."""
    found = []
    for run in runs:
        source = run.get("saturation", {}) if name in ("saturated_share", "median_g_grad_norm") else run["metrics"]
        if name in source:
            found.append(source[name])
    return found


def columns(results: dict) -> list[str]:
    """The metrics the runs hold, in the study's order, then the saturation figures where measured."""
    present = [name for run in done(results) for name in (*run["metrics"], *run.get("saturation", {}))]
    return list(dict.fromkeys(present))


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def groups_table(results: dict) -> str:
    """Per group: completed runs, iterations, training minutes, and mean ± std of each metric."""
    names = columns(results)
    rows = []
    for group, runs in groups(results).items():
        iterations = sorted({run["iterations"] for run in runs})
        rows.append(
            [f"`{group}`", str(len(runs)), " / ".join(f"{i:,}" for i in iterations) or "–",
             spread([run["train_minutes"] for run in runs]), *(spread(values(runs, name)) for name in names)]
        )  # fmt: skip
    header = ["group", "runs", "iterations", "training min", *(NAMES.get(name, name) for name in names)]
    return table(header, rows)


def runs_table(results: dict) -> str:
    """Every run: its group, seed, iterations, training minutes and metrics (or why it did not finish)."""
    names = columns(results)
    rows = []
    for run in results["runs"]:
        cells = [f"`{run['group']}`", str(run["seed"])]
        if run["status"] != "completed":
            rows.append(cells + [run["status"], run.get("error", "")[:80]] + [""] * len(names))
            continue
        numbers = [number((values([run], name) or [None])[0]) for name in names]
        rows.append(cells + [f"{run['iterations']:,}", number(run["train_minutes"]), *numbers])
    header = ["group", "seed", "iterations", "training min", *(NAMES.get(name, name) for name in names)]
    return table(header, rows)


def differences_table(results: dict, within: str | None = None) -> str:
    """Every pair of groups (or of the groups with the override `within`, such as `model=mlp`): the difference
    of the study's first metric, its Welch 95 % interval, a verdict."""
    metric = columns(results)[0] if done(results) else "val/fid"
    by_group = {
        group: values(runs, metric) for group, runs in groups(results).items() if within in (None, *group.split())
    }
    rows = []
    names = list(by_group)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            interval = welch_interval(by_group[first], by_group[second])
            if interval is None:
                continue
            difference, low, high = interval
            runs = f"{len(by_group[first])} / {len(by_group[second])}"
            least = min(len(by_group[first]), len(by_group[second]))
            rows.append(
                [f"`{first}`", f"`{second}`", runs, number(difference), f"[{number(low)}, {number(high)}]",
                 verdict(interval, f"`{first}`", f"`{second}`", least)]
            )  # fmt: skip
    label = NAMES.get(metric, metric)
    return table(["first", "second", "runs", f"{label}: first − second", "95 % interval (Welch)", "verdict"], rows)


def comparison_table(yours: dict, published: dict | None) -> str:
    """Per group and metric: your runs against the published ones, the Welch 95 % interval of the difference,
    and whether they agree (the interval holds 0) or differ."""
    if published is None:
        return "No published results for this study yet: yours are the first."
    theirs = groups(published)
    rows = []
    for group, runs in groups(yours).items():
        for name in columns(yours):
            mine, published_values = values(runs, name), values(theirs.get(group, []), name)
            if not mine or not published_values:
                continue
            interval = welch_interval(mine, published_values)
            if interval is None:  # one run a side: no interval, only the two numbers
                cells = ["–", "–", "one run a side: no interval"]
            else:
                difference, low, high = interval
                agrees = low <= 0 <= high
                cells = [number(difference), f"[{number(low)}, {number(high)}]", "agrees" if agrees else "differs"]
            rows.append([f"`{group}`", NAMES.get(name, name), spread(mine), spread(published_values), *cells])
    header = ["group", "metric", "yours", "published", "yours − published", "95 % interval (Welch)", "verdict"]
    return table(header, rows)


def provenance(results: dict) -> str:
    """One line: where and when the runs were made."""
    m = results["machine"]
    gpu = m["gpu"] or "no GPU"
    runs = done(results)
    minutes = sum(run.get("wall_minutes", 0.0) for run in runs)
    took = (
        f"it took {number(minutes)} wall-clock minutes"
        if len(runs) == 1
        else f"the runs' wall-clock minutes add up to {number(minutes)}"
    )
    return (
        f"{len(runs)} {'run' if len(runs) == 1 else 'runs'} of `{results['command']}`"
        f" on {m['cpu']} ({m['cores']} cores, {gpu}), torch {m['torch']}, "
        f"commit {m['commit']}, {results['date']}; {took}."
    )


# What a page's markers may ask for: <!-- study: <study> <table> --> ... <!-- end study -->
TABLES: dict[str, Callable[[dict], str]] = {
    "provenance": provenance,
    "groups": groups_table,
    "runs": runs_table,
    "differences": differences_table,
}
