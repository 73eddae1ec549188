"""One-shot GPU check: how long would the tutorial's 100 epochs take on this machine?

    make install && GAN_DATA_DIR=<folder holding MNIST/raw> python benchmarks/gpu_check.py
    python benchmarks/gpu_check.py --device cpu --iterations 20 --warmup 5   # what CI runs, so it cannot rot

Installs nothing beyond `make install`. At batch 32 on the tutorial's networks it times, one after the other
after a warm-up each (compilation happens in the warm-up):
  tutorial         the tutorial's loop (benchmarks/bench_training.py's reference (a))
  eager            the project's real path, `train(cfg)` with the default configuration
  compile          the same with compile=true (torch.compile of G and D)
  reduce-overhead  compile=true compile_mode=reduce-overhead (CUDA graphs on a GPU)
and extrapolates each to the tutorial's schedule, 100 epochs of 1,718 iterations (171,800: the 55,000
training images in batches of 32), with peak memory. Writes report.json and report.md to --out.
The defaults (4 x 3,100 iterations plus compilation) are meant to finish in under 8 minutes on one GPU;
nobody has run them on one yet.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import BATCH, peak_rss_mb, project_loop, tiny_mnist, tutorial_loop  # noqa: E402

TUTORIAL_ITERATIONS = 100 * 1718  # 100 epochs of the 55,000 training images in batches of 32
VARIANTS = {
    "tutorial": None,
    "eager": [],
    "compile": ["compile=true"],
    "reduce-overhead": ["compile=true", "compile_mode=reduce-overhead"],
}


def measure(name: str, args: argparse.Namespace, data_dir: str) -> dict:
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    overrides = VARIANTS[name]
    if overrides is None:
        rate = tutorial_loop(data_dir, args.iterations, args.warmup, args.device)
    else:
        rate = project_loop(data_dir, args.iterations, args.warmup, args.device, overrides)
    row = {
        "variant": name,
        "overrides": " ".join(overrides or []),
        # Unrounded: the figures derived from the rate stay consistent with it; the table rounds for reading.
        "iterations_per_s": rate,
        "tutorial_100_epochs_min": TUTORIAL_ITERATIONS / rate / 60,
        "wall_s_incl_warmup_and_compile": time.perf_counter() - started,
    }
    if args.device == "cuda":
        row["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    print(f"  {name:16s} {rate:8.1f} it/s -> 100 epochs in {row['tutorial_100_epochs_min']:.1f} min", flush=True)
    return row


def machine(device: str) -> dict:
    info = {"device": device, "torch": torch.__version__, "python": platform.python_version()}
    if device == "cuda":
        info |= {"gpu": torch.cuda.get_device_name(), "cuda": torch.version.cuda}
    else:
        info |= {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}
    return info


def markdown(report: dict) -> str:
    where = report["machine"].get("gpu") or f"CPU, {report['machine']['threads']} threads"
    lines = [
        f"# GPU check: {where}",
        "",
        f"torch {report['machine']['torch']}, batch {BATCH}, {report['iterations']} timed iterations per variant "
        f"after {report['warmup']} warm-up iterations; the tutorial's schedule is {TUTORIAL_ITERATIONS:,} iterations.",
        "",
        "| variant | overrides | iterations/s | 100 epochs (min) | peak GPU MB | wall s (with warm-up) |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['variant']} | {row['overrides'] or '-'} | {row['iterations_per_s']:.1f} | "
            f"{row['tutorial_100_epochs_min']:.2f} | {row.get('peak_gpu_mb', '-')} | "
            f"{row['wall_s_incl_warmup_and_compile']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=100, help="iterations before the clock starts (compiles)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default=os.environ.get("GAN_DATA_DIR"))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", default="outputs/gpu_check", help="folder for report.json and report.md")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda, but torch sees no CUDA device; run with --device cpu to try the script")
    data_dir = args.data_dir or tiny_mnist()
    print(f"device {args.device}, data {data_dir}, batch {BATCH}", flush=True)
    rows = [measure(name, args, data_dir) for name in args.variants]
    report = {
        "machine": machine(args.device),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "tutorial_iterations": TUTORIAL_ITERATIONS,
        "peak_rss_mb": round(peak_rss_mb()),
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(markdown(report))
    print("\n" + markdown(report) + f"\nwritten: {out / 'report.json'}, {out / 'report.md'}")


if __name__ == "__main__":
    main()
