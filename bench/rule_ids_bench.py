"""What checking ``--select``/``--ignore``/``severity`` against cfn-lint's rule ids costs.

Median wall times, each in a fresh interpreter (the real situation: one lint run), of:

- ``baseline``: starting Python and importing ``sam_fastapi.cfn`` (paid by every lint run);
- ``scan``: the same, then ``cfn_lint_rule_ids()``, which reads the ids from cfn-lint's rule
  sources without importing cfn-lint (what lint does when a selector is not an SF id);
- ``import``: the same, then cfn-lint's own ``get_rules`` (the peer: importing cfn-lint's
  rules to ask it);

and the scan alone, in-process (the subprocess times are too noisy to show it).

Caches are warmed by one run of each first. Run it on a quiet machine, or read the ratios.

    python bench/rule_ids_bench.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CODE = {
    "baseline": "import sam_fastapi.cfn",
    "scan": "from sam_fastapi.cfn import cfn_lint_rule_ids; assert cfn_lint_rule_ids()",
    "import": "import sam_fastapi.cfn\nfrom cfnlint.core import get_rules\n"
              "assert get_rules([], [], ['I'], [], True, [])",
}


def timed(code: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for code in CODE.values():
        timed(code)  # warm the file cache and __pycache__
    times: dict[str, list[float]] = {name: [] for name in CODE}
    for _ in range(runs):
        for name, code in CODE.items():  # interleaved: load changes hit every variant alike
            times[name].append(timed(code))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["baseline"]
    for name, value in medians.items():
        print(f"{name:9} {value * 1000:7.0f} ms   over baseline {(value - base) * 1000:6.0f} ms")
    from sam_fastapi.cfn import cfn_lint_rule_ids

    scans = []
    for _ in range(runs):
        cfn_lint_rule_ids.cache_clear()
        start = time.perf_counter()
        cfn_lint_rule_ids()
        scans.append(time.perf_counter() - start)
    print(f"scan in-process (file cache warm): {statistics.median(scans) * 1000:.1f} ms")
    print(f"scan / import (over baseline): "
          f"{(medians['scan'] - base) / (medians['import'] - base):.3f}")


if __name__ == "__main__":
    main()
