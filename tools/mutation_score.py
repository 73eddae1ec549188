"""`make mutate`'s report on mutmut's last run: the kill rate, and every surviving mutant with its diff.

    python tools/mutation_score.py        # after `mutmut run`

Survivors that match tools/mutation_equivalents.txt (function + mutated text) are marked with the reason
they cannot change behaviour; any other survivor is a test to write. Exit status 1 below MINIMUM.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

MINIMUM = 0.95
MUTMUT = [sys.executable, "-m", "mutmut"]
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.txt")


def statuses() -> dict[str, str]:
    lines = subprocess.run([*MUTMUT, "results", "--all", "true"], capture_output=True, text=True).stdout
    return dict(line.strip().rsplit(": ", 1) for line in lines.splitlines() if ": " in line)


def equivalents() -> list[tuple[str, str, str]]:
    rows = [line.split(" | ", 2) for line in EQUIVALENTS.read_text().splitlines() if line and line[0] != "#"]
    return [(function.strip(), text.strip(), why.strip()) for function, text, why in rows]


def mutated_lines(name: str) -> str:
    diff = subprocess.run([*MUTMUT, "show", name], capture_output=True, text=True).stdout
    return "\n".join(line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    results = statuses()
    killed = sum(status in ("killed", "timeout") for status in results.values())
    rate = killed / len(results)
    print(f"mutants: {len(results)}, killed: {killed} ({rate:.1%}), minimum {MINIMUM:.0%}")
    unexplained = 0
    known = equivalents()
    for name, status in results.items():
        if status in ("killed", "timeout"):
            continue
        function = re.sub(r"__mutmut_\d+$", "", name)
        diff = mutated_lines(name)
        added = "\n".join(line for line in diff.splitlines() if line.startswith("+"))
        why = next((w for f, text, w in known if f == function and text in added), None)
        unexplained += why is None
        print(f"\n{name}: {status}" + (f"  [equivalent: {why}]" if why else "  [NOT EXPLAINED: write a test]"))
        print(diff)
    print(f"\n{len(results) - killed} survivors, {unexplained} not explained by {EQUIVALENTS.name}")
    sys.exit(0 if rate >= MINIMUM else 1)


if __name__ == "__main__":
    main()
