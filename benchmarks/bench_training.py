"""Training speed: the project's real training path against two plain-PyTorch loops of the same networks.

    python benchmarks/bench_training.py                  # real MNIST from $GAN_DATA_DIR, else tiny synthetic data
    python benchmarks/bench_training.py --device cuda --iterations 2000
    python benchmarks/bench_training.py fast_dropout=false   # Hydra overrides for the project's run

In one process, alternating (tutorial, plain, project, tutorial, ...), each after a warm-up:
  (a) tutorial: torchvision MNIST with ToTensor through a DataLoader (batch 32, one worker process, as
      the tutorial's `dataloader_args`), the tutorial's loop:
      D on reals, D on fakes, BCELoss on sigmoid outputs, D step, then a G step;
  (b) plain: the same math done the obvious fast way: batches gathered from one in-memory tensor, fused
      Adam, one D pass over reals and fakes, softplus losses on logits, D frozen in G's step;
  (c) project: `train(cfg)` with the default configuration (Trainer.fit, logging, callbacks), timed by a
      callback from the end of the warm-up to the end of training.
Prints iterations/s, images/s (real images through D per second), peak RSS and, on CUDA, peak allocated
memory, and the ratios c/a and c/b per round with their medians. Timings on a shared machine are noisy:
compare the ratios, not the absolute numbers.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_lightning.cli.entry import project_config  # noqa: E402
from gan_lightning.train import train  # noqa: E402

BATCH = 32


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def networks(data_dir: str, device: str) -> tuple[nn.Module, nn.Module]:
    """The default config's G and D (the tutorial's MLPs), as the project builds them."""
    model_cfg = compose_cfg(data_dir, device).model
    return instantiate(model_cfg.generator).to(device), instantiate(model_cfg.discriminator).to(device)


def tutorial_loop(data_dir: str, iterations: int, warmup: int, device: str) -> float:
    """The tutorial's loop; returns iterations/s after the warm-up."""
    G, D = networks(data_dir, device)
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


def plain_loop(data_dir: str, iterations: int, warmup: int, device: str) -> float:
    """The same math as the project's default (non-saturating, one D step per G step) in a plain loop that does
    the obvious fast things; returns iterations/s after the warm-up."""
    G, D = networks(data_dir, device)
    g_opt = torch.optim.Adam(G.parameters(), lr=1e-3, fused=True)
    d_opt = torch.optim.Adam(D.parameters(), lr=1e-3, fused=True)
    images = MNIST(data_dir, train=True).data.to(device)  # uint8, (60000, 28, 28)
    batches_per_epoch = len(images) // BATCH
    start = None
    for done in range(warmup + iterations):
        if done == warmup:
            sync(device)
            start = time.perf_counter()
        if done % batches_per_epoch == 0:
            order = torch.randperm(len(images), device=device)
        index = order[done % batches_per_epoch * BATCH :][:BATCH]
        real = images[index].unsqueeze(1).float().div_(255)
        with torch.no_grad():
            fake = G(torch.randn(BATCH, 100, device=device))
        real_out, fake_out = D(torch.cat([real, fake])).split(BATCH)
        d_loss = F.softplus(-real_out).mean() + F.softplus(fake_out).mean()
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        D.requires_grad_(False)
        g_loss = F.softplus(-D(G(torch.randn(BATCH, 100, device=device)))).mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        D.requires_grad_(True)
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
    accelerator = "gpu" if device == "cuda" else "cpu"
    return project_config([f"data.data_dir={data_dir}", f"trainer.accelerator={accelerator}", *overrides])


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
    from tests.helpers import write_mnist

    return str(write_mnist(Path(tempfile.mkdtemp(prefix="bench_mnist_")), n_train=6000, n_test=1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of (tutorial, plain, project)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default=os.environ.get("GAN_DATA_DIR"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for the project run, e.g. compile=true")
    args = parser.parse_args()
    data_dir = args.data_dir or tiny_mnist()
    print(f"device {args.device}, torch threads {torch.get_num_threads()}, data {data_dir}, batch {BATCH}")
    loops = {
        "tutorial": lambda: tutorial_loop(data_dir, args.iterations, args.warmup, args.device),
        "plain": lambda: plain_loop(data_dir, args.iterations, args.warmup, args.device),
        "project": lambda: project_loop(data_dir, args.iterations, args.warmup, args.device, args.overrides),
    }
    rates: dict[str, list[float]] = {name: [] for name in loops}
    memory: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, loop in loops.items():
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            rates[name].append(loop())
            if args.device == "cuda":
                memory[name] = torch.cuda.max_memory_allocated() / 2**20
            print(f"  {name:9s} {rates[name][-1]:8.1f} it/s   peak RSS so far {peak_rss_mb():7.0f} MB", flush=True)
    print(f"\n| loop | iterations/s (median of {args.rounds}) | images/s | peak GPU MB |")
    print("|---|---|---|---|")
    for name, values in rates.items():
        gpu = f"{memory[name]:.0f}" if name in memory else "-"
        print(f"| {name} | {median(values):.1f} | {median(values) * BATCH:.0f} | {gpu} |")
    print()
    for reference in ("tutorial", "plain"):
        ratios = [p / r for p, r in zip(rates["project"], rates[reference], strict=True)]
        rounds = ", ".join(f"{r:.2f}x" for r in ratios)
        print(f"ratio project / {reference}: median {median(ratios):.2f}x (rounds {rounds})")
    print(f"peak RSS of the process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
