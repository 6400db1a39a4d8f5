"""Lint speed against cfn-lint, side by side in one run.

Generates projects of N functions on one shared API (the per-resource layout of
examples/movies) and reports median wall times of:

- ``sam-fastapi lint --no-cache`` (translator + cfn-lint + our checks, cold),
- ``sam-fastapi lint`` re-run on the unchanged project (cache warm; three times ``--runs``),
- ``sam-fastapi lint`` re-run after one function's ``MemorySize`` changed (a new value each
  run, so every one is an edit the cache has not seen),
- ``sam-fastapi lint --watch`` after the same edits: the time from writing the edited template
  to the end of the report the watch prints (its poll interval included, nothing subtracted),
- the ``cfn-lint`` command on the same template.

Targets (issue 20): cold 10 functions <= 0.9x cfn-lint, 100 / 200 <= 0.5x / 0.45x; unchanged
re-run at 100 <= 0.05x; edited re-run at 10 and 100 <= 0.3x (``watch edited``).

    python bench/lint_bench.py                 # 10, 100, 200 functions, 3 runs each
    python bench/lint_bench.py --sizes 50 --runs 5
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

HANDLER = '''\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/{name}")
def list_items():
    return []


@app.get("/{name}/{item_id}")
async def get_item(item_id: int):
    return {"id": item_id}


handler = Mangum(app, lifespan="off")
'''

MAKEFILE = "build-SharedLayer:\n\tpip install -r requirements.txt -t \"$(ARTIFACTS_DIR)/python\"\n"


def generate(root: Path, functions: int) -> Path:
    """Write a project with ``functions`` FastAPI functions on one explicit REST API."""
    lines = [
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Transform: AWS::Serverless-2016-10-31",
        "Globals:",
        "  Function:",
        "    Runtime: python3.12",
        "    Timeout: 10",
        "    Layers: [!Ref SharedLayer]",
        "Resources:",
        "  Api:",
        "    Type: AWS::Serverless::Api",
        "    Properties:",
        "      StageName: Prod",
        "  SharedLayer:",
        "    Type: AWS::Serverless::LayerVersion",
        "    Properties:",
        "      ContentUri: layers/shared",
        "      CompatibleRuntimes: [python3.12]",
        "    Metadata:",
        "      BuildMethod: makefile",
    ]
    layer = root / "layers" / "shared"
    layer.mkdir(parents=True)
    (layer / "requirements.txt").write_text("fastapi\nmangum\n")
    (layer / "Makefile").write_text(MAKEFILE)
    for i in range(functions):
        name = f"res{i}"
        code = root / f"{name}_service"
        (code / "app").mkdir(parents=True)
        (code / "app" / "__init__.py").write_text("")
        (code / "app" / "main.py").write_text(HANDLER.replace("{name}", name))
        (code / "requirements.txt").write_text("")
        lines += [
            f"  Res{i}Function:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      CodeUri: {name}_service/",
            "      Handler: app.main.handler",
            "      Events:",
            "        Root:",
            "          Type: Api",
            f"          Properties: {{RestApiId: !Ref Api, Path: /{name}, Method: ANY}}",
            "        Proxy:",
            "          Type: Api",
            "          Properties:",
            f"            {{RestApiId: !Ref Api, Path: '/{name}/{{proxy+}}', Method: ANY}}",
        ]
    template = root / "template.yaml"
    template.write_text("\n".join(lines) + "\n")
    return template


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{output}")
    return elapsed


def watch_edits(command: list[str], template: Path, runs: int, cwd: Path,
                env: dict[str, str]) -> list[float]:
    """Seconds from writing each edited template to the end of the report ``lint --watch``
    prints for it (the line saying it watches again)."""
    watching = "Watching for changes"
    process = subprocess.Popen([*command, "--watch"], cwd=cwd, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        for line in process.stdout:  # the first report
            if watching in line:
                break
        original, times = template.read_text(), []
        for run in range(runs):
            time.sleep(0.5 + random.random() * 0.25)  # edits land anywhere in the poll cycle
            edited = original.replace(
                "      Handler: app.main.handler\n",
                f"      Handler: app.main.handler\n      MemorySize: {512 + run}\n", 1)
            start = time.perf_counter()
            template.write_text(edited)
            for line in process.stdout:
                if watching in line:
                    break
            else:
                raise SystemExit("lint --watch exited")
            times.append(time.perf_counter() - start)
        return times
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 200])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"{'functions':>9} {'cfn-lint':>9} {'lint cold':>10} {'ratio':>6} "
          f"{'re-run':>8} {'ratio':>6} {'edited':>8} {'ratio':>6} {'watch edited':>12} "
          f"{'ratio':>6}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "project"
            root.mkdir()
            template = generate(root, size)
            env = {**os.environ, "SAM_FASTAPI_CACHE_DIR": str(Path(tmp) / "cache")}
            # As installed for users: modules compiled once, not on every start.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            sam_fastapi = [str(BIN / "sam-fastapi"), "lint", template.name]
            base = statistics.median(
                timed([str(BIN / "cfn-lint"), template.name], root, env) for _ in range(args.runs))
            cold = statistics.median(
                timed([*sam_fastapi, "--no-cache"], root, env) for _ in range(args.runs))
            timed(sam_fastapi, root, env)  # fill the cache
            # A re-run takes a fraction of a second, where this VM's drift is largest: three times
            # the runs (still a second or two) keep one slow run from deciding the median.
            warm = statistics.median(
                timed(sam_fastapi, root, env) for _ in range(3 * args.runs))
            original = template.read_text()
            edited = []
            for run in range(args.runs):
                template.write_text(original.replace(
                    "      Handler: app.main.handler\n",
                    f"      Handler: app.main.handler\n      MemorySize: {256 + run}\n", 1))
                edited.append(timed(sam_fastapi, root, env))
            edit = statistics.median(edited)
            template.write_text(original)
            watched = statistics.median(watch_edits(sam_fastapi, template, args.runs, root, env))
            print(f"{size:>9} {base:>8.2f}s {cold:>9.2f}s {cold / base:>5.2f}x "
                  f"{warm:>7.2f}s {warm / base:>5.2f}x {edit:>7.2f}s {edit / base:>5.2f}x "
                  f"{watched:>11.2f}s {watched / base:>5.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
