"""Fixed cost of one in-process invocation: a handler that does nothing, through ``Invoker``.

What ``invoke_bench.py``'s ``sam_client`` numbers hold beside the app: the swap of modules,
path, environment and working directory, the hand-over to the function's thread, the context
and the JSON copy of the event, with no FastAPI or Mangum around it to drown a change of a few
microseconds in their noise. The peer is the same handler called directly, in the same run.

To compare two versions of the gateway, run this script against each in turn, several times,
on the same machine (``PYTHONPATH=<other tree> python bench/inprocess_call_bench.py``) and
compare the medians of the rounds.

    python bench/inprocess_call_bench.py
    python bench/inprocess_call_bench.py --calls 20000 --threads 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import sam_fastapi
from sam_fastapi.gateway.invoker import Invoker
from sam_fastapi.template import build_project, load_template

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          OWN: the function's
"""

HANDLER = "def handler(event, context):\n    return None\n"

#: Calls of one contender in a row; the contenders take turns, block by block, to the end.
BLOCK = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=4,
                        help="idle threads alive in the process (a test run has a few)")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    stop = threading.Event()
    for n in range(args.threads):
        threading.Thread(target=stop.wait, name=f"idle {n}", daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "src" / "app.py").write_text(HANDLER, encoding="utf-8")
        (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE), encoding="utf-8")
        invoker = Invoker(build_project(load_template(root / "template.yaml"),
                                        root / "template.yaml"))
        event = {"path": "/", "body": None}
        assert invoker.invoke("Fn", event).error is None  # cold start, out of the timing
        handler = invoker.pool("Fn").get(0).handler
        assert handler is not None
        calls = {
            "Invoker.invoke": lambda: invoker.invoke("Fn", event, fresh=True),
            "handler(event, None)": lambda: handler(event, None),
        }
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            for _ in range(200):  # warm-up
                call()
        for _ in range(max(1, args.calls // BLOCK)):
            for name, call in calls.items():
                start = time.perf_counter_ns()
                for _ in range(BLOCK):
                    call()
                samples[name].append((time.perf_counter_ns() - start) / 1000 / BLOCK)
        invoker.cold_start()
    stop.set()
    print(f"gateway of {Path(sam_fastapi.__file__).parent.parent}")
    print(f"{'per call (median of blocks of ' + str(BLOCK) + ')':<34} {'µs':>8}")
    for name, values in samples.items():
        print(f"{name:<34} {statistics.median(values):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
