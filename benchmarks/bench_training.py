"""Training speed: the project's real training path against a plain-PyTorch loop in the tutorial's style.

    python benchmarks/bench_training.py                  # real MNIST from $GAN_DATA_DIR, else tiny synthetic data
    python benchmarks/bench_training.py --device cuda --iterations 2000

In one process, alternating (reference, project, reference, project, ...), each after a warm-up:
  (a) reference: torchvision MNIST with ToTensor through a DataLoader (batch 32, one worker process, as
      the tutorial's `dataloader_args`), the tutorial's loop:
      D on reals, D on fakes, BCELoss on sigmoid outputs, D step, then a G step;
  (b) project: `train(cfg)` with the default configuration (Trainer.fit, logging, callbacks), timed by a
      callback from the end of the warm-up to the end of training.
Prints iterations/s, images/s (real images through D per second), peak RSS and, on CUDA, peak allocated
memory, and the ratio b/a. Timings on a shared machine are noisy: compare the ratio, not the absolute numbers.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_lightning.config import CONF_DIR  # noqa: E402
from gan_lightning.train import train  # noqa: E402

BATCH = 32


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_loop(data_dir: str, iterations: int, warmup: int, device: str) -> float:
    """The tutorial's loop; returns iterations/s after the warm-up."""
    model_cfg = compose_cfg(data_dir, device).model
    G = instantiate(model_cfg.generator).to(device)
    D = instantiate(model_cfg.discriminator).to(device)
    g_opt, d_opt = torch.optim.Adam(G.parameters(), lr=1e-3), torch.optim.Adam(D.parameters(), lr=1e-3)
    loss_f = nn.BCELoss()
    real_y, fake_y = torch.ones(BATCH, device=device), torch.zeros(BATCH, device=device)
    # The tutorial's loader: ToTensor per image, one worker process, pinned memory.
    dataset = MNIST(data_dir, train=True, transform=transforms.ToTensor())
    loader = DataLoader(
        dataset, batch_size=BATCH, shuffle=True, drop_last=True, num_workers=1, pin_memory=device == "cuda"
    )
    done, start = 0, None
    while done < warmup + iterations:
        for real, _ in loader:
            if done == warmup:
                sync(device)
                start = time.perf_counter()
            if done == warmup + iterations:
                break
            real = real.to(device)
            d_opt.zero_grad()
            d_real_loss = loss_f(torch.sigmoid(D(real)), real_y)
            fake = G(torch.randn(BATCH, 100, device=device)).detach()
            d_loss = d_real_loss + loss_f(torch.sigmoid(D(fake)), fake_y)
            d_loss.backward()
            d_opt.step()
            g_opt.zero_grad()
            g_loss = loss_f(torch.sigmoid(D(G(torch.randn(BATCH, 100, device=device)))), real_y)
            g_loss.backward()
            g_opt.step()
            done += 1
    sync(device)
    return iterations / (time.perf_counter() - start)


class Stopwatch(pl.Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.rate = warmup, None, None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration == self.warmup:
            sync(pl_module.device.type)
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        sync(pl_module.device.type)
        self.rate = (pl_module.iteration - self.warmup) / (time.perf_counter() - self.start)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def compose_cfg(data_dir: str, device: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(
            "train",
            overrides=[
                f"data.data_dir={data_dir}",
                f"trainer.accelerator={'gpu' if device == 'cuda' else 'cpu'}",
                *overrides,
            ],
        )


def project_loop(data_dir: str, iterations: int, warmup: int, device: str, extra: list[str]) -> float:
    out = tempfile.mkdtemp(prefix="bench_")
    cfg = compose_cfg(
        data_dir, device, f"iterations={warmup + iterations}", "test=false", "trainer.limit_val_batches=0",
        f"paths.output_dir={out}", "trainer.enable_model_summary=false", *extra,
    )  # fmt: skip
    stopwatch = Stopwatch(warmup)
    train(cfg, extra_callbacks=[stopwatch])
    return stopwatch.rate


def tiny_mnist() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import write_mnist

    return str(write_mnist(Path(tempfile.mkdtemp(prefix="bench_mnist_")), n_train=6000, n_test=1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of (reference, project)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default=os.environ.get("GAN_DATA_DIR"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for the project run, e.g. compile=true")
    args = parser.parse_args()
    data_dir = args.data_dir or tiny_mnist()
    print(f"device {args.device}, torch threads {torch.get_num_threads()}, data {data_dir}, batch {BATCH}")
    rates: dict[str, list[float]] = {"reference": [], "project": []}
    memory: dict[str, float] = {}
    for _ in range(args.rounds):
        for name in ("reference", "project"):
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            if name == "reference":
                rates[name].append(reference_loop(data_dir, args.iterations, args.warmup, args.device))
            else:
                rates[name].append(project_loop(data_dir, args.iterations, args.warmup, args.device, args.overrides))
            if args.device == "cuda":
                memory[name] = torch.cuda.max_memory_allocated() / 2**20
            print(f"  {name:9s} {rates[name][-1]:8.1f} it/s   peak RSS so far {peak_rss_mb():7.0f} MB", flush=True)
    print(f"\n| loop | iterations/s (best of {args.rounds}) | images/s | peak GPU MB |")
    print("|---|---|---|---|")
    for name, values in rates.items():
        best = max(values)
        gpu = f"{memory[name]:.0f}" if name in memory else "-"
        print(f"| {name} | {best:.1f} | {best * BATCH:.0f} | {gpu} |")
    ratios = sorted(p / r for p, r in zip(rates["project"], rates["reference"], strict=True))
    print(f"\nratio project / reference: {max(rates['project']) / max(rates['reference']):.2f}x (best of each),")
    print(f"per round: {', '.join(f'{r:.2f}x' for r in ratios)} (median {ratios[len(ratios) // 2]:.2f}x)")
    print(f"peak RSS of the process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
