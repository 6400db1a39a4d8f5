"""Real pip runs against wheels written by the test: no index, no network."""

import os
import shutil
import sys
from pathlib import Path

import pytest
import wheelhouse

from sam_fastapi.checks.platform.binaries import native_problem, read_wheel_tags, wheel_problem
from sam_fastapi.layers.build import build, cache_key
from sam_fastapi.layers.errors import BuildError
from sam_fastapi.layers.platform import LambdaPlatform
from sam_fastapi.layers.store import TreeStore

ARM64 = LambdaPlatform("python3.12", "arm64")
X86_64 = LambdaPlatform("python3.12", "x86_64")


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    return wheelhouse.fill(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def offline(dists, monkeypatch, tmp_path):
    wheelhouse.offline_pip(monkeypatch.setenv, dists, tmp_path / "pip-cache")
    return dists


def _requirements(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "requirements.txt"
    path.write_text(text)
    return path


def _elf_machines(folder: Path) -> set[int]:
    return {m for p in folder.rglob("*") if p.is_file()
            if (m := wheelhouse.elf_machine(p)) is not None}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("platform", "machine"), [(ARM64, 183), (X86_64, 62)])
def test_a_layer_holds_native_objects_for_its_architecture_only(offline, tmp_path, platform,
                                                                machine):
    requirements = _requirements(tmp_path / "layer", "purepkg==1.0\n")

    result = build(requirements, platform, tmp_path / "out", store=None)

    assert set(result.packages) == {"purepkg-1.0", "native-1.0"}
    assert (tmp_path / "out" / "native" / "_speedups.abi3.so").is_file()
    assert _elf_machines(tmp_path / "out") == {machine}
    assert not list((tmp_path / "out").rglob("*.pyc"))  # compiled for this Python, not Lambda's
    # What SF502 (native-binary-wrong-platform) would say about the result: nothing.
    assert [native_problem(p, platform) for p in (tmp_path / "out").rglob("*.so")] == [None]
    wheels = [read_wheel_tags(p) for p in (tmp_path / "out").glob("*.dist-info/WHEEL")]
    assert len(wheels) == 2
    assert [wheel_problem(tags, platform) for tags in wheels] == [None, None]


def test_a_pure_sdist_is_built_into_a_wheel_here(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "srconly==2.0\npurepkg==1.0\n")

    result = build(requirements, ARM64, tmp_path / "out", store=None)

    assert set(result.packages) == {"srconly-2.0", "purepkg-1.0", "native-1.0"}
    assert (tmp_path / "out" / "srconly" / "__init__.py").read_text() == "built = True\n"
    assert _elf_machines(tmp_path / "out") == {183}


def test_an_unchanged_build_is_restored_without_pip_and_a_change_rebuilds(dists, monkeypatch,
                                                                          tmp_path):
    own = tmp_path / "wheels"
    shutil.copytree(dists, own)
    wheelhouse.offline_pip(monkeypatch.setenv, own, tmp_path / "pip-cache")
    requirements = _requirements(tmp_path / "layer", "purepkg==1.0\n")
    store = TreeStore(tmp_path / "cache")
    first = build(requirements, ARM64, tmp_path / "first", store=store)
    for wheel in own.iterdir():
        wheel.unlink()  # pip can no longer install anything

    again = build(requirements, ARM64, tmp_path / "again", store=store)

    assert not first.from_cache
    assert again.from_cache
    assert _files(tmp_path / "again") == _files(tmp_path / "first")
    assert _elf_machines(tmp_path / "again") == {183}
    requirements.write_text("purepkg==1.0 @@ changed\n")
    with pytest.raises(BuildError, match="pip failed: Invalid requirement"):  # pip ran again
        build(requirements, ARM64, tmp_path / "changed", store=store)


def test_a_native_package_without_a_wheel_for_the_platform_is_a_clear_error(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "onlyx86==1.0\n")

    with pytest.raises(BuildError) as error:
        build(requirements, ARM64, tmp_path / "out", store=None)

    assert str(error.value) == (
        "onlyx86==1.0 has no wheel for python3.12 arm64 (CPython 3.12, manylinux aarch64, "
        "glibc 2.34 or older) and no source distribution to build; fix: pin a version of "
        "onlyx86 that publishes manylinux aarch64 wheels for CPython 3.12, or build this "
        "layer in a container (sam build --use-container)"
    )


def test_an_sdist_that_compiles_native_code_is_refused(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "srcnative==1.0\n")

    with pytest.raises(BuildError) as error:
        build(requirements, ARM64, tmp_path / "out", store=None)

    message = str(error.value)
    assert message.startswith("srcnative==1.0 has no wheel for python3.12 arm64")
    assert "its source distribution builds native code for this machine " \
           "(srcnative-1.0-cp311-cp311-linux_x86_64.whl)" in message
    assert "\n" not in message
    assert not (tmp_path / "out").exists()


def test_a_wheel_for_a_newer_glibc_than_the_runtime_has_is_not_installed(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "newglibc==1.0\n")

    build(requirements, LambdaPlatform("python3.12", "x86_64"), tmp_path / "al2023", store=None)
    with pytest.raises(BuildError, match=r"glibc 2\.26 or older"):
        build(requirements, LambdaPlatform("python3.11", "x86_64"), tmp_path / "al2", store=None)

    assert (tmp_path / "al2023" / "newglibc" / "__init__.py").is_file()


def test_other_pip_failures_are_reported_in_one_line(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "purepkg==1.0\nnative==1.0 @@ nope\n")

    with pytest.raises(BuildError) as error:
        build(requirements, ARM64, tmp_path / "out", store=None)

    assert str(error.value).startswith("pip failed: Invalid requirement: 'native==1.0 @@ nope'")
    assert "\n" not in str(error.value)


def test_versions_that_do_have_a_wheel_are_named(offline, tmp_path):
    requirements = _requirements(tmp_path / "layer", "native>1.0\n")

    with pytest.raises(BuildError) as error:
        build(requirements, ARM64, tmp_path / "out", store=None)

    assert str(error.value).startswith(
        "native>1.0 has no wheel for python3.12 arm64 (CPython 3.12, manylinux aarch64, "
        "glibc 2.34 or older) (versions that have one: 1.0) and no source distribution"
    )


def test_a_missing_requirements_file_is_named(tmp_path):
    with pytest.raises(BuildError, match=r"requirements.txt does not exist"):
        build(tmp_path / "requirements.txt", ARM64, tmp_path / "out", store=None)


# -- the cache key: no pip needed ---------------------------------------------------------


@pytest.fixture
def key_inputs(tmp_path):
    requirements = _requirements(tmp_path / "layer", "fastapi==0.115.0\n-c constraints.txt\n")
    (tmp_path / "layer" / "constraints.txt").write_text("pydantic==2.9.2\n")
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://pypi.example/simple\n")
    environ = {"PIP_CONFIG_FILE": str(config), "PIP_INDEX_URL": "https://a.example/simple"}
    return requirements, environ


def test_the_key_ignores_what_does_not_change_the_result(key_inputs):
    requirements, environ = key_inputs
    before = cache_key(requirements, ARM64, environ)
    os.utime(requirements, (0, 0))

    assert cache_key(requirements, ARM64, {**environ, "PIP_PROGRESS_BAR": "off"}) == before


@pytest.mark.parametrize("change", [
    "requirements", "constraints", "runtime", "architecture", "pip.conf", "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_TRUSTED_HOST",
])
def test_any_input_change_changes_the_key(key_inputs, change):
    requirements, environ = key_inputs
    platform = ARM64
    before = cache_key(requirements, platform, environ)
    if change == "requirements":
        requirements.write_text("fastapi==0.115.1\n-c constraints.txt\n")
    elif change == "constraints":
        (requirements.parent / "constraints.txt").write_text("pydantic==2.9.3\n")
    elif change == "runtime":
        platform = LambdaPlatform("python3.13", "arm64")
    elif change == "architecture":
        platform = X86_64
    elif change == "pip.conf":
        Path(environ["PIP_CONFIG_FILE"]).write_text("[global]\nno-index = true\n")
    else:
        environ = {**environ, change: environ.get(change, "") + "x"}

    assert cache_key(requirements, platform, environ) != before


def test_another_pip_changes_the_key(key_inputs, monkeypatch, tmp_path):
    requirements, environ = key_inputs
    before = cache_key(requirements, ARM64, environ)
    other = tmp_path / "other-pip" / "pip"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text('__version__ = "99.0"\n')
    monkeypatch.delitem(sys.modules, "pip", raising=False)
    monkeypatch.syspath_prepend(str(other.parent))

    assert cache_key(requirements, ARM64, environ) != before
