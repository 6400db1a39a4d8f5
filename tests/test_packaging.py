"""What ``pip install sam-fastapi`` and PyPI's page get: metadata, license, sdist contents.

Built from a copy of the checkout, the way pip does it: the sdist first, the wheel from the
unpacked sdist, with a setuptools recent enough for SPDX licenses (PEP 639).
"""

from __future__ import annotations

import configparser
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("packaging")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", tmp / "backend",
                    "setuptools>=77"], check=True, capture_output=True)
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    source = tmp / "source"
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    build = ("import sys\nfrom setuptools import build_meta as backend\n"
             "print(getattr(backend, sys.argv[1])(sys.argv[2]))")
    env = {"PYTHONPATH": str(tmp / "backend"), "PATH": "/usr/bin:/bin"}
    out = tmp / "dist"

    def run(hook: str, cwd: Path) -> Path:
        done = subprocess.run([sys.executable, "-c", build, hook, str(out)], cwd=cwd, env=env,
                              check=True, capture_output=True, text=True)
        return out / done.stdout.split()[-1]

    sdist = run("build_sdist", source)
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    wheel = run("build_wheel", tmp / "unpacked" / sdist.name.removesuffix(".tar.gz"))
    return {"sdist": sdist, "wheel": wheel}


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(archive.read(name).decode()), archive.namelist()


def test_the_license_is_declared_in_spdx_and_shipped(built) -> None:
    metadata, names = _metadata(built["wheel"])
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    with tarfile.open(built["sdist"]) as archive:
        assert any(n.endswith("/LICENSE") for n in archive.getnames())


def test_classifiers_name_every_python_ci_tests_and_the_project_urls(built) -> None:
    metadata, _ = _metadata(built["wheel"])
    classifiers = metadata.get_all("Classifier")
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    tested = [env.strip() for env in tox["tox"]["env_list"].split(",") if env.strip()[:2] == "py"]
    declared = [c.rsplit(" ", 1)[1].replace(".", "") for c in classifiers
                if c.startswith("Programming Language :: Python :: 3.")]
    assert [f"py{v}" for v in declared] == tested
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Source", "Issues", "Documentation"}


def test_the_sdist_carries_no_tests_on_purpose_and_builds_the_same_wheel(built) -> None:
    with tarfile.open(built["sdist"]) as archive:
        tops = {n.split("/")[1] for n in archive.getnames() if n.count("/") >= 1}
    assert "tests" not in tops and "bench" not in tops
    assert {"sam_fastapi", "pytest_samfastapi", "README.md", "LICENSE"} <= tops
    _, names = _metadata(built["wheel"])
    assert "sam_fastapi/data/import_names.txt" in names
    assert "pytest_samfastapi/entry.py" in names
