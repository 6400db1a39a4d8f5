"""Template loading and ``pytest --sam`` start-up, each against its peer in the same run.

1. Template load, in a fresh interpreter as ``pytest --sam``, ``serve`` and ``routes`` pay it:
   importing the loader and decoding the template, for sam-fastapi's loader and for cfn-lint's
   decoder (what the runtime used before), on ``examples/movies`` and on the generated
   100-function project of ``lint_bench.py``. Also the decode alone in a warm process.
   Targets: movies <= 50 ms; 100 functions <= 10% of cfn-lint's decoder.
2. ``pytest --co -q`` on ``examples/movies`` with the plugin on, and with ``-p no:samfastapi``.
   Target: at most 0.3 s more.

Contenders take turns round by round; the numbers are medians over the rounds.

    python bench/template_bench.py            # 15 rounds
    python bench/template_bench.py --rounds 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from lint_bench import generate

ROOT = Path(__file__).resolve().parents[1]
MOVIES = ROOT / "examples" / "movies"

OURS = """
import sys, time
start = time.perf_counter()
from sam_fastapi.template import load_template
load_template(sys.argv[1])
print((time.perf_counter() - start) * 1000)
"""

CFN_LINT = """
import logging, sys, time
start = time.perf_counter()
from cfnlint.decode import decode
logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
template, matches = decode(sys.argv[1])
assert template and not matches
print((time.perf_counter() - start) * 1000)
"""

WARM = """
import logging, statistics, sys, time
from cfnlint.decode import decode
from sam_fastapi.template import load_template
logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
ours, theirs = [], []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    load_template(sys.argv[1])
    ours.append(time.perf_counter() - start)
    start = time.perf_counter()
    decode(sys.argv[1])
    theirs.append(time.perf_counter() - start)
print(statistics.median(ours) * 1000, statistics.median(theirs) * 1000)
"""


def child_ms(code: str, *args: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, env=env).stdout
    return float(out.split()[-1])


def wall(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        big = generate(Path(tmp) / "p100", 100)
        templates = {"examples/movies": MOVIES / "template.yaml", "100 functions": big}
        for path in templates.values():  # warm the bytecode and file caches
            child_ms(OURS, str(path), env=env)
            child_ms(CFN_LINT, str(path), env=env)
        print(f"template load in a fresh interpreter (import + decode), median of {rounds}:")
        for name, path in templates.items():
            ours, theirs, ratios = [], [], []
            for _ in range(rounds):
                ours.append(child_ms(OURS, str(path), env=env))
                theirs.append(child_ms(CFN_LINT, str(path), env=env))
                ratios.append(ours[-1] / theirs[-1])
            print(f"  {name:16} sam-fastapi {statistics.median(ours):7.1f} ms   cfn-lint's "
                  f"decoder {statistics.median(theirs):7.1f} ms   ratio "
                  f"{statistics.median(ratios):.3f}")
        print("decode alone in a warm process, median of 50:")
        for name, path in templates.items():
            ours_ms, theirs_ms = map(float, subprocess.run(
                [sys.executable, "-c", WARM, str(path), "50"], capture_output=True, text=True,
                check=True, env=env).stdout.split())
            print(f"  {name:16} sam-fastapi {ours_ms:7.2f} ms   cfn-lint's decoder "
                  f"{theirs_ms:7.2f} ms   ratio {ours_ms / theirs_ms:.3f}")

    collect = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
    on, off, extra = [], [], []
    wall(collect, MOVIES, env)
    wall([*collect, "-p", "no:samfastapi"], MOVIES, env)
    for _ in range(rounds):
        on.append(wall(collect, MOVIES, env))
        off.append(wall([*collect, "-p", "no:samfastapi"], MOVIES, env))
        extra.append(on[-1] - off[-1])
    print(f"pytest --co -q on examples/movies, median of {rounds}: plugin on "
          f"{statistics.median(on):.2f} s, -p no:samfastapi {statistics.median(off):.2f} s, "
          f"the plugin's cost {statistics.median(extra):+.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
