"""What the installed pytest plugin costs a pytest run that does not use it.

pytest loads the ``samfastapi`` entry point in every run of the environment. Without ``--sam``
or ``sam_template`` the plugin must import nothing heavy (no template loader, no gateway, no
FastAPI). Side by side in one run, taking turns, on a folder with one trivial test:

- (a) ``python -m pytest -q``                      : the plugin loaded, unused;
- (b) ``python -m pytest -q -p no:samfastapi``     : the peer, the plugin not loaded.

Measured as the child's CPU time (user + system). Target: (a) - (b) under 10 ms at the
median (it was 50-75 ms when the plugin imported the gateway). Also prints which
sam_fastapi modules (a) imports.

    python bench/plugin_startup_bench.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run(folder: Path, *extra: str) -> float:
    """The CPU time (user + system) of one pytest run: steadier than wall time on a shared
    machine, and what the plugin's imports cost."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
                   cwd=folder, check=True, stdout=subprocess.DEVNULL, env=_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with warm bytecode caches, as users run
    env.pop("PYTEST_ADDOPTS", None)
    return env


def imported_modules(folder: Path) -> list[str]:
    probe = folder / "conftest.py"
    probe.write_text("import sys\n\ndef pytest_unconfigure():\n"
                     "    print(*sorted(m for m in sys.modules if m.startswith(('sam_fastapi',"
                     " 'pytest_samfastapi', 'fastapi', 'mangum', 'cfnlint', 'samtranslator'))),"
                     " file=open('modules.txt', 'w'))\n")
    try:
        run(folder)
        return (folder / "modules.txt").read_text().split()
    finally:
        probe.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_one.py").write_text("def test_one():\n    assert True\n")
        run(folder), run(folder, "-p", "no:samfastapi")  # warm the bytecode caches
        loaded, peer = [], []
        for _ in range(args.rounds):
            loaded.append(run(folder))
            peer.append(run(folder, "-p", "no:samfastapi"))
        modules = imported_modules(folder)
    a, b = statistics.median(loaded), statistics.median(peer)
    print(f"rounds: {args.rounds} (each contender in turn)")
    print(f"(a) plugin loaded, unused : median {a * 1000:7.1f} ms CPU")
    print(f"(b) -p no:samfastapi      : median {b * 1000:7.1f} ms CPU")
    print(f"cost of the plugin        : {(a - b) * 1000:+7.1f} ms ({a / b:.3f}x)")
    print(f"modules imported by (a)   : {' '.join(modules)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
