"""SF204 layer-not-python-dir: real Makefiles of Python layers built with BuildMethod: makefile."""

from __future__ import annotations

from pathlib import Path

import pytest

from sam_fastapi.config import LintConfig
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Layers:
        - !Ref UsedLayer
"""


def layer(logical_id: str, runtimes: str | None = "[python3.12]") -> str:
    text = (f"  {logical_id}:\n"
            "    Type: AWS::Serverless::LayerVersion\n"
            "    Properties:\n"
            f"      ContentUri: layers/{logical_id}\n")
    if runtimes:
        text += f"      CompatibleRuntimes: {runtimes}\n"
    return text + "    Metadata:\n      BuildMethod: makefile\n"


def project(tmp_path: Path, makefiles: dict[str, str],
            runtimes: dict[str, str | None] | None = None) -> Path:
    runtimes = runtimes or {}
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER + "".join(layer(name, runtimes.get(name, "[python3.12]")) for name in makefiles),
        encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("", encoding="utf-8")
    for name, text in makefiles.items():
        folder = tmp_path / "layers" / name
        folder.mkdir(parents=True)
        (folder / "Makefile").write_text(text, encoding="utf-8")
    return template


def lint(template: Path) -> list[tuple[str, str, int]]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=("SF204",), use_cache=False))
    root = template.parent.resolve()
    return sorted(
        (f.rule, Path(f.location.file).resolve().relative_to(root).as_posix(), f.location.line)
        for f in linter.lint([template]).findings
    )


@pytest.mark.parametrize(
    ("makefile", "line"),
    [
        ('build-{id}:\n\tpip install -r requirements.txt -t "$(ARTIFACTS_DIR)"\n', 2),
        ("build-{id}:\n\tmkdir -p $(ARTIFACTS_DIR)\n\tcp -r src/* ${{ARTIFACTS_DIR}}/\n", 2),
        ("OUT := $(ARTIFACTS_DIR)\n\nbuild-{id}:\n\t@echo building\n"
         "\tpip install \\\n\t  -r requirements.txt \\\n\t  --target $(OUT)\n", 5),
        # python3.12 is not python: a folder named like the runtime is not the layer's python/.
        ("build-{id}:\n\tpip install -r requirements.txt -t $(ARTIFACTS_DIR)/python3.12\n", 2),
        ("build-{id}:\n\tcp -r . \"$$ARTIFACTS_DIR\"\n", 2),
    ],
    ids=["pip-target", "cp", "variable-continued", "python-version-folder", "shell-variable"],
)
def test_recipe_installing_outside_python_is_reported_at_its_line(
    tmp_path: Path, makefile: str, line: int,
) -> None:
    template = project(tmp_path, {"UsedLayer": makefile.format(id="UsedLayer")})
    assert lint(template) == [("SF204", "layers/UsedLayer/Makefile", line)]


@pytest.mark.parametrize(
    "makefile",
    [
        'build-{id}:\n\tpip install -r requirements.txt -t "$(ARTIFACTS_DIR)/python"\n',
        "build-{id}:\n\tpip install -r requirements.txt -t ${{ARTIFACTS_DIR}}/python\n",
        "build-{id}:\n\tmkdir -p $(ARTIFACTS_DIR)/python/lib/python3.12/site-packages\n"
        "\tpip install -t $(ARTIFACTS_DIR)/python/lib/python3.12/site-packages -r r.txt\n",
        "PYDIR = $(ARTIFACTS_DIR)/python\nbuild-{id}:\n\tpip install -t $(PYDIR) -r r.txt\n",
        "OUT := $(ARTIFACTS_DIR)\nSITE := $(OUT)/python\nbuild-{id}:\n\tcp -r src $(SITE)\n",
        "build-{id}: PY=$(ARTIFACTS_DIR)/python\nbuild-{id}:\n\tcp -r src \"$(PY)\"\n",
        'build-{id}:\n\tsam-fastapi layer build {id} --out "$(ARTIFACTS_DIR)"\n',
        "build-{id}:\n\tmkdir -p \"$$ARTIFACTS_DIR/python\"\n"
        "\tcp -r src/* \"$$ARTIFACTS_DIR/python\"\n",
        # A script does the work: nothing to judge.
        "build-{id}:\n\t./build.sh\n",
    ],
    ids=["quoted", "braces", "site-packages", "variable", "nested-variables",
         "target-variable", "layer-build", "shell-variable", "script"],
)
def test_recipes_writing_under_python_pass(tmp_path: Path, makefile: str) -> None:
    template = project(tmp_path, {"UsedLayer": makefile.format(id="UsedLayer")})
    assert lint(template) == []


def test_only_python_layers_and_only_their_own_target_are_judged(tmp_path: Path) -> None:
    wrong = 'build-{id}:\n\tcp -r . "$(ARTIFACTS_DIR)"\n'
    template = project(
        tmp_path,
        {
            "UsedLayer": "build-Other:\n\tcp -r . $(ARTIFACTS_DIR)\n"
                         'build-UsedLayer:\n\tpip install -t "$(ARTIFACTS_DIR)/python" x\n',
            "NodeLayer": wrong.format(id="NodeLayer"),  # nodejs layers use nodejs/, not ours
            "UnusedLayer": wrong.format(id="UnusedLayer"),  # no runtime, no Python user
            "DeclaredLayer": wrong.format(id="DeclaredLayer"),
        },
        runtimes={"NodeLayer": "[nodejs20.x]", "UnusedLayer": None,
                  "DeclaredLayer": "[python3.11, python3.12]"},
    )
    assert lint(template) == [("SF204", "layers/DeclaredLayer/Makefile", 2)]


def test_a_layer_without_runtimes_used_by_a_python_function_is_python(tmp_path: Path) -> None:
    template = project(tmp_path, {"UsedLayer": "build-UsedLayer:\n\tcp -r . $(ARTIFACTS_DIR)\n"},
                       runtimes={"UsedLayer": None})
    assert lint(template) == [("SF204", "layers/UsedLayer/Makefile", 2)]
