"""The pictures of a sweep summary: every job's curves overlaid (curves.png) and final grids (samples.png)."""

import logging
import textwrap
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from gan_lightning.core.curves import LEGACY_GROUP, tag
from gan_lightning.sweeps.jobs import Job

CURVES = [tag("g_loss"), tag("d_fake_prob"), tag("g_grad_norm"), "val/fid"]
COMPUTE = [tag("wall_clock_s"), tag("images_seen")]


def event_folder(folder: Path) -> Path:
    """Where a run folder's TensorBoard events are: tensorboard/ itself, or in a sweep the job's named run
    inside it (tensorboard/loss=minimax,seed=2/)."""
    found = sorted({path.parent for path in (folder / "tensorboard").rglob("events.out.tfevents.*")})
    return found[0] if found else folder / "tensorboard"


def read_curves(folder: Path) -> dict[str, tuple[list[int], list[float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logging.getLogger("tensorboard").setLevel(logging.WARNING)  # its "No path found after ..." per event file
    events = EventAccumulator(str(event_folder(folder)), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    curves = {}
    for name in CURVES + COMPUTE:
        legacy = f"{LEGACY_GROUP}/{name.split('/')[1]}"  # runs of version 0.1
        found = name if name in tags else legacy if legacy in tags else None
        if found:
            curves[name] = ([e.step for e in events.Scalars(found)], [e.value for e in events.Scalars(found)])
    return curves


def fid_against_compute(curves: dict, compute: str, scale: float) -> tuple[np.ndarray, np.ndarray] | None:
    """val/fid against the compute spent by its iteration (seconds or images, read off the compute curve)."""
    if "val/fid" not in curves or compute not in curves:
        return None
    steps, fids = curves["val/fid"]
    spent = np.interp(steps, *curves[compute]) / scale
    return spent, np.asarray(fids)


def plot_curves(sweep_dir: Path, jobs: list[Job]) -> None:
    """Top: G's loss, D(G(z)), G's gradient norm over iterations. Bottom: val/fid over iterations, over the
    training's wall-clock minutes and over real images seen, so a slower loss cannot win by taking longer."""
    fig, axes = plt.subplots(2, 3, figsize=(17, 8.5))
    panels = [
        (axes[0, 0], CURVES[0], "iteration"),
        (axes[0, 1], CURVES[1], "iteration"),
        (axes[0, 2], CURVES[2], "iteration"),
        (axes[1, 0], "val/fid", "iteration"),
        (axes[1, 1], "val/fid", "training wall-clock minutes"),
        (axes[1, 2], "val/fid", "real images seen (millions)"),
    ]
    groups = list(dict.fromkeys(job.group for job in jobs))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20")
    colors = {group: palette(i % palette.N) for i, group in enumerate(groups)}
    drawn = set()
    for job in jobs:
        if not (job.folder / "tensorboard").exists():
            continue
        curves = read_curves(job.folder)
        lines = [curves.get(name) for _, name, _ in panels[:4]]
        lines.append(fid_against_compute(curves, COMPUTE[0], 60))
        lines.append(fid_against_compute(curves, COMPUTE[1], 1e6))
        for (ax, _, _), line in zip(panels, lines, strict=True):
            if line is not None:
                drawn.add(ax)
                ax.plot(*line, color=colors[job.group], alpha=0.8, lw=1, marker="." if ax in axes[1] else None)
    for ax, name, x_label in panels:
        ax.set_title(name + (" (cross-entropy losses)" if name == tag("d_fake_prob") else ""))
        ax.set_xlabel(x_label)
        ax.grid(alpha=0.3)
    for ax in (axes[0, 1], axes[0, 2], *axes[1]):
        if ax in drawn:
            ax.set_yscale("log")  # D(G(z)), G's gradient norm and the FIDs of different setups span orders of magnitude
    for ax, _, _ in panels:
        if ax not in drawn:
            ax.text(0.5, 0.5, "not logged by these runs", ha="center", va="center", transform=ax.transAxes, c="gray")
    handles = [plt.Line2D([], [], color=color, label=group) for group, color in colors.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4))
    legend_rows = -(-len(handles) // 4)
    fig.tight_layout(rect=(0, 0.02 + 0.03 * legend_rows, 1, 1))
    fig.savefig(sweep_dir / "curves.png", dpi=90)
    plt.close(fig)


def grid_title(overrides: list[str], width: int = 40) -> str:
    """A sample grid's title: its overrides with long numbers to 3 significant digits (a search's learning
    rates have 16; short ones stay as written, so an EMA decay of 0.9999 does not read 1), wrapped to the
    width of one grid so that neighbouring titles do not run into each other."""
    short = []
    for override in overrides:
        key, _, value = override.partition("=")
        try:
            long_number = len(value) > 6 and ("." in value or "e" in value)
            short.append(f"{key}={float(value):.3g}" if long_number else override)
        except ValueError:
            short.append(override)
    return textwrap.fill(" ".join(short), width, break_on_hyphens=False)


def plot_samples(sweep_dir: Path, jobs: list[Job]) -> None:
    """Every job's final sample grid side by side, titled with what sets it apart."""
    grids = [(job, job.folder / "samples" / "final.png") for job in jobs]
    grids = [(job, path) for job, path in grids if path.exists()]
    if not grids:
        return
    cols = min(len(grids), 5)
    rows = -(-len(grids) // cols)
    titles = [grid_title(job.varying) for job, _ in grids]
    title_lines = max(title.count("\n") + 2 for title in titles)  # + the FID line
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, (3.2 + 0.16 * title_lines) * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (job, path), title in zip(axes.flat, grids, titles, strict=False):
        ax.imshow(plt.imread(path), cmap="gray")
        fid = job.metrics.get("val/fid")
        ax.set_title(title + (f"\nval FID {fid:.0f}" if fid is not None else ""), fontsize=8)
    fig.tight_layout()
    fig.savefig(sweep_dir / "samples.png", dpi=90)
    plt.close(fig)
