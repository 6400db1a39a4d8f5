"""What a warm cfn-lint child saves after an edit (``lint --watch``): cfn-lint warm in one
process, its rules loaded once, vs the command.

For the generated projects of ``lint_bench`` (10 and 100 functions), reports in one run the
``cfn-lint`` command's wall time, and in one long-lived process: the import of cfn-lint and
the translator, then cfn-lint's run on the template (first and warm), as a server that kept
its imports and caches between ``lint`` runs would pay them. The warm run is the floor of an
edited re-run through such a server.

    python bench/warm_cfn_lint.py --sizes 10 100 --runs 3
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
from lint_bench import BIN, generate

WARM = """
import sys, time
from pathlib import Path
start = time.perf_counter()
import cfnlint.api, samtranslator.translator.translator
from sam_fastapi.cfn import LoadedRules, run_cfn_lint
from sam_fastapi.cfn_memos import remember_repeated_work
from sam_fastapi.template import load_template
remember_repeated_work()
rules = LoadedRules()  # as the cfn-lint child keeps them between requests
print(time.perf_counter() - start)
for arg in sys.argv[1:]:
    path, runs = Path(arg), []
    for _ in range(3):
        start = time.perf_counter()
        run_cfn_lint(path, load_template(path), loaded=rules)
        runs.append(time.perf_counter() - start)
    print(" ".join(map(str, runs)))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        templates = []
        for size in args.sizes:
            root = Path(tmp) / f"p{size}"
            root.mkdir()
            templates.append(generate(root, size))
        commands = {}
        for template in templates:
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                subprocess.run([str(BIN / "cfn-lint"), str(template)], env=env,
                               capture_output=True, check=False)
                times.append(time.perf_counter() - start)
            commands[template] = statistics.median(times)
        out = subprocess.run([sys.executable, "-c", WARM, *map(str, templates)], env=env,
                             capture_output=True, text=True, check=True).stdout.split("\n")
        print(f"imports (cfn-lint + translator), once: {float(out[0]):.2f}s")
        print(f"{'functions':>9} {'cfn-lint':>9} {'1st in-proc':>11} {'warm':>7} {'ratio':>6}")
        for size, template, line in zip(args.sizes, templates, out[1:], strict=False):
            first, *warm = map(float, line.split())
            best = statistics.median(warm)
            print(f"{size:>9} {commands[template]:>8.2f}s {first:>10.2f}s {best:>6.2f}s "
                  f"{best / commands[template]:>5.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
