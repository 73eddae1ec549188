"""The studies behind the results pages: what each one trains, so that `reproduce <study>` reruns a page.

A study is a few groups of runs of `python -m gan_lightning.train`: the overrides every run shares, each
group's own, and the seeds that repeat every group (one Hydra multirun per group). Its results file
(docs/results/data/<study>.json) holds what the published page's tables are rendered from.
"""

import difflib
from dataclasses import dataclass

from gan_lightning.core.errors import GANError

# What `--smoke` adds to every run: a few iterations with a validation on the way, one batch of evaluation.
SMOKE_OVERRIDES = (
    "debug=limit",
    "iterations=4",
    "trainer.val_check_interval=2",
    "trainer.check_val_every_n_epoch=null",
    "trainer.log_every_n_steps=1",
)
SMOKE_SEEDS = 2


class StudyError(GANError):
    """An unknown study, or a study folder that cannot be continued."""


@dataclass(frozen=True)
class Study:
    name: str  # `reproduce <name>`
    page: str  # docs/results/<page>.md
    question: str  # what it answers, one line for --list
    shared: tuple[str, ...]  # overrides of every run
    groups: tuple[tuple[str, ...], ...]  # each group's own overrides: one multirun over the seeds per group
    seeds: tuple[int, ...]
    # Metrics of its tables (keys of a run's metrics.json); the first is the one compared between groups.
    metrics: tuple[str, ...] = ("val/fid", "test/fid", "val/kid", "val/inception_score", "val/mode_classes")
    saturation: bool = False  # also report how long G's gradient stayed saturated (the tutorial's question)

    def run_seeds(self, smoke: bool = False) -> tuple[int, ...]:
        return self.seeds[:SMOKE_SEEDS] if smoke else self.seeds

    def multiruns(self, smoke: bool = False) -> list[tuple[str, list[str]]]:
        """(group name, its multirun's overrides) for each group, without the launcher and folder."""
        seeds = "seed=" + ",".join(map(str, self.run_seeds(smoke)))
        smoke_keys = {line.split("=")[0] for line in SMOKE_OVERRIDES} if smoke else set()
        return [
            (
                group_name(group),
                [
                    *(line for line in (*self.shared, *group) if line.split("=")[0] not in smoke_keys),
                    seeds,
                    *(SMOKE_OVERRIDES if smoke else ()),
                ],
            )
            for group in self.groups
        ]

    def run_count(self, smoke: bool = False) -> int:
        return len(self.groups) * len(self.run_seeds(smoke))


def group_name(overrides: tuple[str, ...]) -> str:
    return " ".join(overrides) or "(default)"


STUDIES = {
    study.name: study
    for study in (
        Study(
            "default-run",
            "default-run",
            "the default run (`make train`): the tutorial's networks, non-saturating loss, 8 epochs",
            shared=(),
            groups=((),),
            seeds=(42, 1, 2),
            metrics=("test/fid", "test/d_real_acc", "test/d_fake_acc", "test/kid", "test/inception_score",
                     "test/mode_classes", "test/precision", "test/recall"),
        ),
        Study(
            "minimax-vs-nonsaturating",
            "minimax-vs-nonsaturating",
            "the tutorial's question: does the non-saturating G beat minimax, by how much, how sure",
            shared=("sweep=minimax_vs_nonsaturating",),
            groups=(("loss=minimax",), ("loss=nonsaturating",)),
            seeds=tuple(range(1, 13)),
            saturation=True,
        ),
        Study(
            "losses-x-models",
            "losses-x-models",
            "every loss on both models at 5,000 iterations",
            shared=("sweep=losses_x_models",),
            groups=tuple(
                (f"loss={loss}", f"model={model}")
                for loss in ("minimax", "nonsaturating", "lsgan", "hinge", "wgan_gp")
                for model in ("mlp", "dcgan")
            ),
            seeds=(1, 2, 3),
        ),
        Study(
            "best-vs-replica",
            "best-vs-replica",
            "the best 5,000-iteration configuration against the tutorial replica at the same budget",
            shared=(),
            groups=(("experiment=tutorial", "iterations=5000"), ("experiment=dcgan_hinge",)),
            seeds=(42, 1, 2),
        ),
        Study(
            "best-10min",
            "best-10min-and-1h",
            "the 10-minute search's winner (best_10min, 9,500 iterations) and the tutorial MLPs' best",
            shared=(),
            groups=(("experiment=best_10min",), ("experiment=tutorial_mlp_best",)),
            seeds=(42, 1, 2),
        ),
        Study(
            "best-1h",
            "best-10min-and-1h",
            "the hour's best (best_1h, 106,000 iterations), one seed",
            shared=(),
            groups=(("experiment=best_1h",),),
            seeds=(42,),
        ),
        Study(
            "conditional",
            "conditional",
            "ask for a digit: conditional against unconditional at best_10min's budget",
            shared=(),
            groups=(
                ("experiment=best_10min",),
                ("experiment=conditional_best_10min", "aux_classifier_weight=0"),  # the projection head alone
                ("experiment=conditional_best_10min",),
            ),
            seeds=(42, 1, 2),
            metrics=("val/fid", "test/fid", "val/asked_digit_acc", "val/precision", "val/recall"),
        ),
        Study(
            "quality-per-minute",
            "quality-per-minute",
            "the per-minute search's winner (dcgan_lsgan, 43,500 iterations)",
            shared=(),
            groups=(("experiment=dcgan_lsgan",),),
            seeds=(42, 1, 2),
        ),
    )
}  # fmt: skip


def find_study(name: str) -> Study:
    """The study called `name`, or a one-line error with the list and the nearest name."""
    if name in STUDIES:
        return STUDIES[name]
    near = difflib.get_close_matches(name, STUDIES, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise StudyError(f"no study named {name!r}; the studies: {', '.join(STUDIES)}{hint}")
