"""The studies: each names a page that exists, and every group's multirun composes, at full and smoke budget."""

import pytest

from gan_lightning.cli.command_line import command_line_error
from gan_lightning.core.paths import PROJECT_ROOT
from gan_lightning.studies.catalog import SMOKE_OVERRIDES, STUDIES, StudyError, find_study


@pytest.mark.parametrize("name", list(STUDIES))
def test_every_study_composes_at_full_and_smoke_budget_and_names_its_page(name):
    study = STUDIES[name]
    assert (PROJECT_ROOT / "docs" / "results" / f"{study.page}.md").is_file()
    for smoke in (False, True):
        for group, overrides in study.multiruns(smoke):
            assert command_line_error("train", overrides, showing_config=False) is None, (group, overrides)
            if smoke:
                assert overrides[-len(SMOKE_OVERRIDES) :] == list(SMOKE_OVERRIDES)
            else:
                assert "debug=limit" not in overrides
            keys = [line.split("=")[0] for line in overrides]
            assert len(keys) == len(set(keys)), overrides  # the smoke budget replaces a group's own, never doubles it
    assert study.run_count(smoke=True) == len(study.groups) * min(2, len(study.seeds))


def test_the_tutorials_question_has_at_least_eight_seeds_per_loss_and_measures_saturation():
    study = STUDIES["minimax-vs-nonsaturating"]
    assert [group for group, _ in study.multiruns()] == ["loss=minimax", "loss=nonsaturating"]
    assert len(study.seeds) >= 8 and study.saturation


def test_an_unknown_study_is_one_line_with_the_list_and_the_nearest():
    with pytest.raises(StudyError) as raised:
        find_study("minimax-vs-nonsaturing")
    message = str(raised.value)
    assert message.startswith("no study named 'minimax-vs-nonsaturing'; the studies: default-run, ")
    assert message.endswith("; did you mean minimax-vs-nonsaturating?") and "\n" not in message
