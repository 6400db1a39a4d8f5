"""``sam-fastapi layer build`` on real templates, with pip offline on wheels written here."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import wheelhouse

from sam_fastapi.cli import main

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Handler: app.handler
      Runtime: python3.11
      Architectures: [arm64]
      Layers:
        - !Ref SharedLayer
        - !Ref UsedLayer
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared
      CompatibleRuntimes: [python3.12]
      CompatibleArchitectures: [arm64]
    Metadata:
      BuildMethod: makefile
  UsedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/used
  MultiLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/multi
      CompatibleRuntimes: [python3.12, python3.11]
      CompatibleArchitectures: [x86_64]
  LonelyLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/lonely
  BareLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/bare
  RemoteLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: s3://bucket/layer.zip
"""

MAKEFILE = "build-SharedLayer:\n\tsam-fastapi layer build SharedLayer --out \"$(ARTIFACTS_DIR)\"\n"


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    return wheelhouse.fill(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def wheels(dists, tmp_path, monkeypatch):
    """This test's own copy of the wheel folder, the only place pip may look."""
    own = tmp_path / "wheels"
    shutil.copytree(dists, own)
    wheelhouse.offline_pip(monkeypatch.setenv, own, tmp_path / "pip-cache")
    return own


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "template.yaml").write_text(TEMPLATE)
    for folder in ("api", "layers/shared", "layers/used", "layers/multi", "layers/lonely"):
        (root / folder).mkdir(parents=True)
        (root / folder / "requirements.txt").write_text("purepkg==1.0\n")
    (root / "layers" / "bare").mkdir()
    (root / "layers" / "shared" / "Makefile").write_text(MAKEFILE)
    return root


def _machines(folder: Path) -> set[int]:
    return {m for p in folder.rglob("*") if p.is_file()
            if (m := wheelhouse.elf_machine(p)) is not None}


def _layer_build(*args: str) -> int:
    return main(["layer", "build", *args])


def test_the_makefile_recipe_builds_as_sam_build_runs_it(project, wheels, tmp_path):
    # sam build runs make in a scratch copy of the layer folder, far from the template.
    scratch = tmp_path / "scratch"
    shutil.copytree(project / "layers" / "shared", scratch)
    artifacts = project / ".aws-sam" / "build" / "SharedLayer"
    artifacts.mkdir(parents=True)
    env = {**os.environ,
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    command = ["make", "--makefile", str(project / "layers" / "shared" / "Makefile"),
               "build-SharedLayer", f"ARTIFACTS_DIR={artifacts}"]

    first = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True)
    again = subprocess.run(command, cwd=scratch, env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                           capture_output=True, text=True)

    assert first.returncode == 0, first.stderr
    assert f"SharedLayer: python3.12 arm64 -> {artifacts / 'python'} (2 packages installed" \
        in first.stdout
    assert again.returncode == 0, again.stderr
    assert "(restored from cache," in again.stdout
    assert "sam_fastapi.layers.store" in again.stderr  # the import profile was recorded
    assert "cfnlint" not in again.stderr  # the unchanged template's plan was cached too
    assert (artifacts / "python" / "native" / "_speedups.abi3.so").is_file()
    assert _machines(artifacts) == {183}


def test_a_cached_layer_is_restored_without_pip_and_no_cache_runs_it(project, wheels, capsys,
                                                                    tmp_path):
    template = str(project / "template.yaml")
    out = tmp_path / "out"
    assert _layer_build("SharedLayer", "-t", template, "--out", str(out)) == 0
    for wheel in wheels.iterdir():
        wheel.unlink()  # from here on, any pip run fails
    capsys.readouterr()

    restored = _layer_build("SharedLayer", "-t", template, "--out", str(out))
    restored_out = capsys.readouterr().out
    restored_machines = _machines(out)
    uncached = _layer_build("SharedLayer", "-t", template, "--out", str(out), "--no-cache")
    error = capsys.readouterr().err

    assert restored == 0
    assert "SharedLayer: python3.12 arm64 -> " in restored_out
    assert "(restored from cache," in restored_out
    assert restored_machines == {183}
    assert uncached == 2
    assert error.startswith("sam-fastapi: error: SharedLayer: purepkg==1.0 has no wheel for "
                            "python3.12 arm64")
    assert error.count("\n") == 1


def test_a_layer_without_compatible_runtimes_takes_its_functions_runtime(project, wheels,
                                                                        capsys, monkeypatch,
                                                                        tmp_path):
    monkeypatch.chdir(project / "layers")  # the template is found above

    code = _layer_build("UsedLayer", "--out", str(tmp_path / "out"))

    assert code == 0
    assert "UsedLayer: python3.11 arm64 -> " in capsys.readouterr().out
    assert _machines(tmp_path / "out" / "python") == {183}


def test_several_runtimes_get_one_site_packages_each_and_the_cache_stays_bounded(
        project, wheels, capsys, tmp_path):
    out = tmp_path / "out"
    cache = tmp_path / "layer-cache"

    code = _layer_build("MultiLayer", "-t", str(project / "template.yaml"), "--out", str(out),
                        "--cache-dir", str(cache), "--cache-size", "1")

    printed = capsys.readouterr().out
    assert code == 0
    for version in ("3.11", "3.12"):
        site = out / "python" / "lib" / f"python{version}" / "site-packages"
        assert (site / "native" / "_speedups.abi3.so").is_file()
        assert f"MultiLayer: python{version} x86_64 -> {site} (2 packages" in printed
    assert _machines(out) == {62}
    assert len(list((cache / "layers").glob("?" * 64))) == 1  # the older build was evicted


def test_a_function_gets_its_packages_beside_its_code_and_v_shows_pip(project, wheels, capsys,
                                                                     tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "app.py").write_text("handler = None\n")  # copied by the Makefile before us

    code = _layer_build("ApiFunction", "-t", str(project / "template.yaml"), "--out", str(out),
                        "-v")

    captured = capsys.readouterr()
    assert code == 0
    assert (out / "app.py").read_text() == "handler = None\n"
    assert (out / "purepkg" / "__init__.py").is_file()
    assert _machines(out) == {183}
    assert f"ApiFunction: python3.11 arm64 -> {out} (2 packages installed" in captured.out
    assert "  ApiFunction: Successfully installed" in captured.err


def test_without_ids_everything_with_requirements_is_built_into_its_own_folder(tmp_path, wheels,
                                                                               capsys,
                                                                               monkeypatch):
    root = tmp_path / "small"
    (root / "fn").mkdir(parents=True)
    (root / "layer").mkdir()
    (root / "template.yaml").write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: fn/, Handler: app.handler, Runtime: python3.12}
          Layer:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: layer, CompatibleRuntimes: [python3.12]}
          Empty:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: empty/, Handler: app.handler, Runtime: python3.12}
        """))
    for folder in ("fn", "layer"):
        (root / folder / "requirements.txt").write_text("purepkg==1.0\n")
    monkeypatch.chdir(root)

    code = _layer_build()

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split(" -> ")[0] for line in lines] == ["Layer: python3.12 x86_64",
                                                         "Fn: python3.12 x86_64"]
    assert "(restored from cache," in lines[1]  # same requirements, same platform
    built = root / ".aws-sam" / "sam-fastapi"
    assert (built / "Layer" / "python" / "purepkg").is_dir()
    assert (built / "Fn" / "purepkg").is_dir()
    assert not (built / "Empty").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["Nope"], "Nope is not a layer or function of {template} (it has: ApiFunction, BareLayer, "
               "LonelyLayer, MultiLayer, RemoteLayer, SharedLayer, UsedLayer)"),
    (["BareLayer"], "BareLayer has no requirements.txt in {root}/layers/bare; add one listing "
                    "its dependencies"),
    (["RemoteLayer"], "RemoteLayer's ContentUri is not a local folder, so there is no "
                      "requirements.txt to build"),
    (["LonelyLayer"], "LonelyLayer has no CompatibleRuntimes and no Python function of the "
                      "template uses it; add CompatibleRuntimes or pass --runtime"),
    (["SharedLayer", "--runtime", "nodejs20.x"],
     "SharedLayer: 'nodejs20.x' is not a Lambda Python runtime (python3.X)"),
    (["SharedLayer", "--cache-size", "huge"],
     "--cache-size: 'huge' is not a size (examples: 500M, 2G)"),
])
def test_what_cannot_be_built_is_one_line_and_exit_2(project, capsys, args, message):
    template = project / "template.yaml"

    code = _layer_build(*args, "-t", str(template))

    err = capsys.readouterr().err
    assert code == 2
    assert err == "sam-fastapi: error: " + message.format(template=template, root=project) + "\n"


def test_no_template_and_a_broken_template_are_one_line_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _layer_build("SharedLayer") == 2
    assert capsys.readouterr().err == (f"sam-fastapi: error: no template.yaml in {tmp_path} or "
                                       "above; pass --template\n")

    (tmp_path / "template.yaml").write_text("Resources:\n  A: [\n")
    assert _layer_build("SharedLayer") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sam-fastapi: error: {tmp_path / 'template.yaml'}:")
    assert err.count("\n") == 1


def test_a_template_change_is_seen_on_the_next_build(project, wheels, capsys, tmp_path):
    template = project / "template.yaml"
    out = str(tmp_path / "out")
    assert _layer_build("SharedLayer", "-t", str(template), "--out", out) == 0
    template.write_text(TEMPLATE.replace("CompatibleRuntimes: [python3.12]",
                                         "CompatibleRuntimes: [python3.11]"))
    capsys.readouterr()

    assert _layer_build("SharedLayer", "-t", str(template), "--out", out) == 0

    printed = capsys.readouterr().out
    assert printed.startswith("SharedLayer: python3.11 arm64 -> ")
    assert "(2 packages installed," in printed


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_terminal_sees_each_package_and_ci_sees_only_the_summary(project, wheels, monkeypatch,
                                                                   tmp_path):
    import pty

    controller, terminal = pty.openpty()
    monkeypatch.setattr(sys, "stderr", os.fdopen(terminal, "w"))
    monkeypatch.delenv("CI", raising=False)
    args = ["SharedLayer", "-t", str(project / "template.yaml"), "--out", str(tmp_path / "o")]

    def shown() -> str:
        sys.stderr.flush()
        os.set_blocking(controller, False)
        try:
            return os.read(controller, 65536).decode()
        except BlockingIOError:
            return ""

    assert _layer_build(*args) == 0
    interactive = shown()
    monkeypatch.setenv("CI", "true")
    assert _layer_build(*args, "--no-cache") == 0
    in_ci = shown()

    assert "SharedLayer: Processing " in interactive
    assert "purepkg-1.0-py3-none-any.whl" in interactive
    assert "native-1.0-cp39-abi3-manylinux2014_aarch64.whl" in interactive
    assert in_ci == ""


def _sam_fastapi(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = os.path.dirname(sys.executable)
    return subprocess.run([os.path.join(bin_dir, "sam-fastapi"), *args], capture_output=True,
                          text=True, env={**os.environ, **env})


def test_a_cached_plan_serves_a_new_out_folder_without_reading_the_template(project, wheels,
                                                                           tmp_path):
    # sam build gives each build a fresh ARTIFACTS_DIR: the plan must not depend on it.
    template = str(project / "template.yaml")
    first = _sam_fastapi("layer", "build", "SharedLayer", "-t", template,
                         "--out", str(tmp_path / "build1"))
    again = _sam_fastapi("layer", "build", "SharedLayer", "-t", template,
                         "--out", str(tmp_path / "build2"), PYTHONPROFILEIMPORTTIME="1")

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert f"-> {tmp_path / 'build2' / 'python'} (restored from cache," in again.stdout
    assert "sam_fastapi.layers.store" in again.stderr  # the import profile was recorded
    assert "cfnlint" not in again.stderr  # the plan came from the cache
    assert _machines(tmp_path / "build2") == {183}


def _plan_entry(cache: Path) -> Path:
    (entry,) = [p for p in (cache / "layer-plans").rglob("*") if p.is_file()]
    return entry


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_plan_runs_nothing_and_empties_no_folder_outside_out(project, wheels,
                                                                      tmp_path, capsys):
    import json
    import pickle

    template = str(project / "template.yaml")
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    args = ("SharedLayer", "-t", template, "--out", str(out), "--cache-dir", str(cache))
    assert _layer_build(*args) == 0
    entry = _plan_entry(cache)
    good = json.loads(entry.read_text())
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    marker = tmp_path / "ran"
    outside = {**good["value"]["targets"][0], "fresh": "../victim", "dest": "../victim"}
    elsewhere = {**good["value"]["targets"][0], "requirements": str(tmp_path / "r.txt")}
    (tmp_path / "r.txt").write_text("purepkg==1.0\n")
    planted = [
        pickle.dumps(_RunsACommand(marker)),
        json.dumps({**good, "value": {**good["value"], "targets": [outside]}}).encode(),
        json.dumps({**good, "value": {**good["value"], "targets": [elsewhere]}}).encode(),
        json.dumps({**good, "value": {"targets": [{"logical_id": 1}]}}).encode(),
        json.dumps({**good, "value": []}).encode(),
    ]
    for data in planted:
        entry.write_bytes(data)
        capsys.readouterr()
        assert _layer_build(*args) == 0
        assert f"-> {out / 'python'} (restored from cache," in capsys.readouterr().out
        assert not marker.exists()
        assert (victim / "keep.txt").read_text() == "mine"
