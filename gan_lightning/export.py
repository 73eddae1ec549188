"""Share a trained generator: `python -m gan_lightning.export ckpt_path=last out=/path/to/folder`.

Writes model.safetensors (the generator people sample from: the moving average when the run had one),
config.json (what builds it: its class and sizes, nothing else), samples.png and a model card (README.md:
the command that trained it, its iterations and training minutes, the run's final metrics with the feature
classifier's hash). `sample` and `interpolate` take the folder as ckpt_path.

Examples:
    python -m gan_lightning.export ckpt_path=last
    python -m gan_lightning.export ckpt_path=best out=/tmp/my_generator
    python -m gan_lightning.sample ckpt_path=/tmp/my_generator n=100
"""

import json
import logging
from pathlib import Path

import torch
import yaml
from omegaconf import DictConfig

from gan_lightning.artifacts.checkpoints import TrainedGAN, load_gan, read_checkpoint
from gan_lightning.artifacts.exported import write_export
from gan_lightning.checks import check_config
from gan_lightning.cli.entry import entry_point
from gan_lightning.core.paths import output_path, train_runs
from gan_lightning.data.images import image_grid, save_png
from gan_lightning.data.labels import grid_labels
from gan_lightning.gan.sampling import generate

log = logging.getLogger(__name__)
CARD_METRICS = ("val/fid", "val/kid", "test/fid", "test/kid", "test/precision", "test/recall", "test/density",
                "test/coverage", "test/inception_score", "test/mode_classes")  # fmt: skip


def training_minutes(checkpoint_path: Path) -> float | None:
    """The training clock's minutes stored in the checkpoint (ComputeClock's state), when it has one."""
    states = read_checkpoint(checkpoint_path).get("callbacks", {})
    seconds = next((s["seconds"] for key, s in states.items() if "ComputeClock" in key and "seconds" in s), None)
    return None if seconds is None else seconds / 60


def training_command(run: Path) -> str:
    overrides = run / ".hydra" / "overrides.yaml"
    if not overrides.is_file():
        return "unknown (the run folder holds no .hydra/overrides.yaml)"
    return " ".join(["python -m gan_lightning.train", *yaml.safe_load(overrides.read_text())])


def model_card(trained: TrainedGAN, description: dict, minutes: float | None, out: Path) -> str:
    run = trained.path.parent.parent
    result = run / "metrics.json"
    summary = json.loads(result.read_text()) if result.is_file() else {}
    metrics = summary.get("metrics", {})
    rows = [f"| {name} | {metrics[name]:.4g} |" for name in CARD_METRICS if name in metrics]
    conditional = bool(description["num_classes"])
    lines = [
        f"# {description['generator']['_target_'].rsplit('.', 1)[-1]} trained on MNIST with gan_lightning",
        "",
        f"A {'class-conditional ' if conditional else ''}generator of 28x28 MNIST digits "
        f"({'moving average of G' if description['ema'] else 'G'}), "
        f"latent size {description['latent_dim']}, after {trained.iteration} iterations"
        + (f" and {minutes:.1f} training minutes." if minutes is not None else "."),
        "",
        "```bash",
        f"{training_command(run)}   # trained it",
        f"python -m gan_lightning.sample ckpt_path={out} n=64{' digit=7' if conditional else ''}   # draws from it",
        "```",
        "",
        "![one row per digit](samples.png)" if conditional else "![64 samples](samples.png)",
        "",
    ]
    if rows:
        classifier = summary.get("classifier_hash") or "unknown"
        lines += [
            f"Final metrics of the run (iteration {summary.get('iterations')}; feature classifier {classifier}):",
            "",
            "| metric | value |",
            "|---|---|",
            *rows,
            "",
        ]
    lines += [
        "Files: `model.safetensors` (tensors only), `config.json` (the class that builds them and its sizes).",
        "",
        "License: the weights are shared under the license of the gan_lightning project that trained them; "
        "the training data, MNIST (LeCun, Cortes and Burges), is available under CC BY-SA 3.0.",
    ]
    return "\n".join(lines) + "\n"


def export(cfg: DictConfig) -> Path:
    check_config(cfg, "export")
    trained = load_gan(cfg.ckpt_path, train_runs(cfg.paths.log_dir))
    model = trained.model
    ema = model.generator_ema is not None
    generator = model.generator_ema.module if ema else model.generator
    description = {
        "generator": trained.config["gan"]["generator"],
        "latent_dim": model.latent_dim,
        "iteration": trained.iteration,
        "ema": ema,
        "num_classes": model.num_classes,
    }
    out = output_path(cfg.out, cfg.paths.output_dir)
    write_export(out, generator, description)
    labels, n = grid_labels(model.num_classes, rows=8, cols=8)
    images = generate(generator, model.latent_dim, n, cfg.seed, batch_size=100, device="cpu", labels=labels)
    save_png(image_grid(torch.from_numpy(images).unsqueeze(1)), out / "samples.png")
    (out / "README.md").write_text(model_card(trained, description, training_minutes(trained.path), out))
    log.info("Exported %s (iteration %d) to %s", trained.path, trained.iteration, out)
    return out


main = entry_point("export")(export)

if __name__ == "__main__":
    main()
