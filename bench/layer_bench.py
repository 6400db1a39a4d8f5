"""Layer build speed: cold build, cached rebuild and plain pip, side by side in one run.

Offline: writes a wheel folder (pure wheels of many modules, plus native manylinux2014 wheels
for x86_64 and aarch64), a project with one layer whose requirements.txt pins them all, and
points pip at that folder only. Reports median wall times of:

- cold: ``sam-fastapi layer build SharedLayer --out DIR`` with an empty cache (pip runs),
- cached: the same command again, nothing changed (restored from the cache), into an empty
  ``--out`` as under ``sam build``, which empties ``.aws-sam/build`` before building,
- cached, out kept: the same again over the previous output (which is emptied first),
- cached, new out: the same into a folder never used before (``sam build`` gives each build
  a fresh ``ARTIFACTS_DIR``; the plan is cached relative to ``--out``),
- pip: ``pip install -r requirements.txt --target EMPTY``, what a layer Makefile does today,
- the same cold and cached builds through ``sam_fastapi.layers.build`` in this process, which
  leaves out start-up,
- start-up: ``sam-fastapi --version``, the floor of a command that loads every plugin (``layer``
  registers only its own module).

Target: a cached rebuild under 5% of a cold build.

    python bench/layer_bench.py                       # 30 packages of 40 modules, 3 runs
    python bench/layer_bench.py --packages 60 --runs 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import wheelhouse  # the tests' wheel writer, shared on purpose

from sam_fastapi.layers.build import build
from sam_fastapi.layers.platform import LambdaPlatform
from sam_fastapi.layers.store import TreeStore

BIN = Path(sys.executable).parent

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared
      CompatibleRuntimes: [python3.12]
      CompatibleArchitectures: [arm64]
"""


def write_wheels(folder: Path, packages: int, modules: int) -> list[str]:
    """Wheels into ``folder``; returns the pinned requirements."""
    folder.mkdir(parents=True)
    body = b"".join(b"def f%d(x):\n    return x * %d\n\n" % (i, i) for i in range(100))
    pins = []
    for index in range(packages):
        name = f"benchpkg{index:03d}"
        files = {f"{name}/__init__.py": b""}
        files.update({f"{name}/module{m:03d}.py": body for m in range(modules)})
        wheelhouse.write_wheel(folder, name, "1.0", files=files)
        pins.append(f"{name}==1.0")
    for index in range(3):
        name = f"benchnative{index}"
        for machine in ("x86_64", "aarch64"):
            wheelhouse.write_native_wheel(folder, name, "1.0", machine)
        pins.append(f"{name}==1.0")
    return pins


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=30)
    parser.add_argument("--modules", type=int, default=40, help="modules per package")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="layer-bench-") as scratch:
        base = Path(scratch)
        pins = write_wheels(base / "wheels", args.packages, args.modules)
        project = base / "project"
        layer = project / "layers" / "shared"
        layer.mkdir(parents=True)
        (project / "template.yaml").write_text(TEMPLATE)
        requirements = layer / "requirements.txt"
        requirements.write_text("\n".join(pins) + "\n")
        os.environ.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(base / "wheels"),
                           "PIP_CONFIG_FILE": os.devnull, "PIP_CACHE_DIR": str(base / "pip")})
        # Commands start as on a user's machine, with byte-code already compiled (kept out of
        # the source tree).
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(base / "pycache")
        cli = [str(BIN / "sam-fastapi"), "layer", "build", "SharedLayer"]
        run([str(BIN / "sam-fastapi"), "--version"], project)

        times: dict[str, list[float]] = {name: [] for name in
                                         ("cold", "cached", "cached, out kept",
                                          "cached, new out", "pip",
                                          "lib cold", "lib cached", "start-up")}
        platform = LambdaPlatform("python3.12", "arm64")
        for index in range(args.runs):
            cache, out = base / f"cache{index}", base / f"out{index}"
            command = [*cli, "--out", str(out), "--cache-dir", str(cache)]
            times["start-up"].append(timed(lambda: run([str(BIN / "sam-fastapi"), "--version"],
                                                       project)))
            times["cold"].append(timed(lambda c=command: run(c, project)))
            shutil.rmtree(out)  # what sam build does to its build folder
            times["cached"].append(timed(lambda c=command: run(c, project)))
            times["cached, out kept"].append(timed(lambda c=command: run(c, project)))
            fresh = [*cli, "--out", str(base / f"new{index}"), "--cache-dir", str(cache)]
            times["cached, new out"].append(timed(lambda c=fresh: run(c, project)))
            target = base / f"pip{index}"
            times["pip"].append(timed(lambda t=target: run(
                [sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
                 "-r", str(requirements), "--target", str(t)], project)))
            store = TreeStore(base / f"libcache{index}")
            for name in ("lib cold", "lib cached"):
                dest = base / f"lib{index}-{name.replace(' ', '-')}"
                times[name].append(timed(lambda s=store, d=dest: build(
                    requirements, platform, d, store=s)))
            files = sum(1 for p in (out / "python").rglob("*") if p.is_file())
            shutil.rmtree(target)

        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"layer: {len(pins)} packages, {files} files, python3.12 arm64, "
              f"{args.runs} runs (median seconds)")
        for name, value in median.items():
            print(f"  {name:<17} {value:8.3f}")
        ratio = median["cached"] / median["cold"]
        lib_ratio = median["lib cached"] / median["lib cold"]
        print(f"cached / cold:          {ratio:6.1%} (command)   {lib_ratio:6.1%} (in process)")
        print(f"cached / pip --target:  {median['cached'] / median['pip']:6.1%} (command)")
        print(f"start-up with every plugin loaded (sam-fastapi --version) is "
              f"{median['start-up'] / median['cached']:.0%} of the cached command, which loads "
              "only its own")
        met = ratio < 0.05
        print(f"target (cached < 5% of cold): {'met' if met else 'NOT met'}")
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
