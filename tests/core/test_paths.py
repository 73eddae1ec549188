"""Where `ckpt_path` points and where a command's files land."""

from pathlib import Path

from gan_lightning.core.paths import output_path, resolve_ckpt_path, train_runs


def test_an_exported_folder_is_its_own_ckpt_path_and_a_run_folder_means_its_last_checkpoint(tmp_path):
    export = tmp_path / "generator"
    export.mkdir()
    (export / "model.safetensors").write_bytes(b"")
    assert resolve_ckpt_path(str(export), tmp_path) == export
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert resolve_ckpt_path(str(run), tmp_path) == run / "checkpoints" / "last.ckpt"


def test_relative_outputs_land_in_the_run_folder_and_absolute_ones_where_they_say(tmp_path):
    run = tmp_path / "outputs" / "sample" / "runs" / "now"
    assert output_path("samples.npy", run) == run / "samples.npy"
    assert output_path("sub/walks.png", str(run)) == run / "sub" / "walks.png"
    assert output_path(str(tmp_path / "mine.npy"), run) == tmp_path / "mine.npy"
    assert output_path("~/mine.npy", run) == Path.home() / "mine.npy"


def test_last_and_best_are_looked_up_among_the_train_runs_of_the_log_dir(tmp_path):
    assert train_runs(tmp_path) == tmp_path / "train" and train_runs(str(tmp_path)) == tmp_path / "train"
