"""notebooks/quickstart.ipynb runs top to bottom on a real kernel, as a notebook user runs it."""

import nbformat
from nbclient import NotebookClient

from gan_lightning.core.paths import PROJECT_ROOT
from tests.helpers import CHECKPOINT_V0_1


def test_the_quickstart_notebook_runs_and_shows_digits_and_scores(mnist_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_CHECKPOINT", str(CHECKPOINT_V0_1))
    monkeypatch.setenv("GAN_DATA_DIR", str(mnist_dir))
    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "iteration 4" in texts and "torch.Size([64, 1, 28, 28])" in texts and "'fid':" in texts
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the grid of digits
