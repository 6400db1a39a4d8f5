"""SF201 makefile-missing, SF202 makefile-target-missing, SF203 makefile-recipe-not-tab."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.makefile.makefile_missing import MakefileMissing
from sam_fastapi.checks.makefile.reader import MAX_BYTES, TAB, parse_makefile, read_makefile
from sam_fastapi.checks.makefile.target_missing import MakefileTargetMissing
from sam_fastapi.cli import main
from sam_fastapi.config import LintConfig
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager, registered_checks
from sam_fastapi.template.loader import load_template
from sam_fastapi.template.model import build_project

# -- the reader -------------------------------------------------------------------------------


def misplaced(text: str) -> list[int]:
    return [r.line for r in parse_makefile(text).recipe_lines if r.misplaced]


def targets(text: str) -> dict[str, int]:
    return {t: rule.line for rule in parse_makefile(text).rules for t in rule.targets}


def test_rules_with_their_targets_and_lines():
    text = (
        "# build the two functions\n"
        "ARTIFACTS ?= out\n"
        "\n"
        "build-A build-B: deps\n"
        "\tcp -r src $(ARTIFACTS_DIR)\n"
        "build-C:: ; echo inline\n"
        "build-D build-E &: deps\n"
        "\ttouch $@\n"
        "deps:\n"
    )
    makefile = parse_makefile(text)
    assert targets(text) == {"build-A": 4, "build-B": 4, "build-C": 6, "build-D": 7,
                             "build-E": 7, "deps": 9}
    first, second, *_ = makefile.rules
    assert first.prerequisites == ("deps",) and first.has_recipe and not first.double_colon
    assert second.double_colon and second.has_recipe
    assert [(r.line, r.indent, r.rule_line) for r in makefile.recipe_lines] == [
        (5, TAB, 4), (8, TAB, 7)]


def test_recipe_lines_indented_with_spaces_are_misplaced():
    text = "build-A:\n\techo tab\n    echo spaces\n  \techo both\n\techo tab again\n"
    makefile = parse_makefile(text)
    assert [(r.line, r.indent, r.misplaced) for r in makefile.recipe_lines] == [
        (2, TAB, False), (3, "    ", True), (4, "  \t", True), (5, TAB, False)]


def test_space_indented_line_with_a_colon_is_still_a_misplaced_recipe():
    # make would read it as a new rule "@echo "step" and skip the rest of the recipe.
    text = 'build-A:\n\techo one\n    @echo "step: copy"\n\techo two\n'
    assert misplaced(text) == [3]
    assert list(targets(text)) == ["build-A"]


def test_lines_make_reads_as_something_else_are_not_recipes():
    text = textwrap.dedent("""\
        build-A:
        \techo one
          # a comment between recipe lines
        ifeq ($(OS),Windows_NT)
        \techo windows
          else
        \techo unix
          endif

        \techo after a blank line
          PYTHON := python3.12
        build-B:
        \techo b
          override FLAGS = -x
          -include local.mk
        build-C:
        \t$(info fine)
          $(info this line expands to nothing)
        """).replace("\\t", TAB)
    assert misplaced(text) == []
    assert parse_makefile(text).includes == (15,)


def test_continuation_lines_are_not_recipe_starts():
    text = (
        "FILES = a.py \\\n"
        "    b.py\n"
        "build-A:\n"
        "\tcp $(FILES) \\\n"
        "    $(ARTIFACTS_DIR)\n"
        "\techo \\\\\n"  # an escaped backslash: no continuation
        "    echo misplaced\n"
    )
    assert misplaced(text) == [7]


def test_continued_rule_line_keeps_its_first_line():
    text = "build-A \\\n  build-B: \\\n  deps\n\techo\n"
    assert targets(text) == {"build-A": 1, "build-B": 1}
    assert parse_makefile(text).rules[0].prerequisites == ("deps",)


def test_comment_continued_by_backslash_hides_the_next_line():
    assert targets("# a comment \\\nbuild-A:\nother:\n") == {"other": 3}


def test_define_blocks_are_values_not_recipes():
    text = textwrap.dedent("""\
        build-A:
        \techo one
        define COPY
          cp -r src $(1)
        \tnot a recipe either
        define INNER
        endef
          endef
        \techo orphan
        build-B:
        \techo b
        """).replace("\\t", TAB)
    makefile = parse_makefile(text)
    assert misplaced(text) == []
    assert targets(text) == {"build-A": 1, "build-B": 10}
    # After a define, make has left the rule: line 9 belongs to no rule.
    assert [r.line for r in makefile.recipe_lines] == [2, 11]


def test_crlf_line_endings():
    text = "build-A:\r\n\techo one\r\n    echo two\r\n\r\nbuild-B:\r\n\techo b\r\n"
    assert targets(text) == {"build-A": 1, "build-B": 5}
    assert misplaced(text) == [3]


def test_only_newlines_end_lines():
    # A form feed is no line break to make; splitlines() would shift every line after it.
    text = "x = \f\nbuild-A:\n    echo\n"
    assert targets(text) == {"build-A": 2}
    assert misplaced(text) == [3]


@pytest.mark.parametrize("assignment", [".RECIPEPREFIX = >", ".RECIPEPREFIX := >",
                                        ".RECIPEPREFIX::=>"])
def test_recipeprefix(assignment):
    text = f"{assignment}\nbuild-A:\n> echo one\n\techo tab\n    echo spaces\n"
    makefile = parse_makefile(text)
    assert [(r.line, r.misplaced) for r in makefile.recipe_lines] == [
        (3, False), (4, True), (5, True)]
    assert makefile.prefix_line == 1
    assert {r.prefix for r in makefile.recipe_lines} == {">"}


def test_recipeprefix_reset_and_unknown():
    reset = ".RECIPEPREFIX = >\n.RECIPEPREFIX =\nbuild-A:\n\techo tab\n"
    assert [r.misplaced for r in parse_makefile(reset).recipe_lines] == [False]
    # Set from a variable: the prefix is unknown, so no line is called misplaced.
    unknown = ".RECIPEPREFIX = $(PREFIX)\nbuild-A:\n    echo\n\techo\n"
    assert misplaced(unknown) == []


def test_target_matching():
    makefile = parse_makefile(
        "build-A:\n\techo\n"
        "build-%: ; echo pattern\n"
        "build-$(NAME)-x:\n\techo\n"
        ".PHONY: build-Phony\n"
    )
    assert makefile.defines("build-A")
    assert makefile.defines("build-Anything")  # the pattern rule
    # A variable may be anything: the pattern rule and build-$(NAME)-x may both make it.
    assert [r.line for r in makefile.rules_for("build-Fn-x")] == [3, 4]
    assert makefile.phony_line("build-Phony") == 6
    assert not parse_makefile(".PHONY: build-A\n").defines("build-A")
    assert not parse_makefile("build-a:\n\techo\n").defines("build-A")


def test_target_specific_variables_define_no_rule():
    makefile = parse_makefile("build-A: PYTHON = python3.12\nbuild-B: export X := 1\n")
    assert makefile.rules == ()


def test_default_rule_makes_any_target():
    assert parse_makefile(".DEFAULT:\n\techo $@\n").defines("build-Fn")
    assert not parse_makefile(".DEFAULT:\n").defines("build-Fn")


def test_lines_that_may_generate_rules():
    makefile = parse_makefile("$(foreach f,A B,$(eval $(call RULE,$(f))))\ninclude a.mk\n"
                              "$(info building)\n")
    assert makefile.generated == (1,)
    assert makefile.unresolved == (1, 2)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"\t \n\r\\#:;=$(){}%&>.ab-\x00\ufffd", "define", "endef",
                                  "ifeq", "include", ".RECIPEPREFIX"])).map("".join))
def test_never_raises(text):
    makefile = parse_makefile(text)
    for recipe in makefile.recipe_lines:
        assert 1 <= recipe.line <= text.count("\n") + 1


def test_read_once_per_content(tmp_path):
    path = tmp_path / "Makefile"
    path.write_text("build-A:\n\techo\n")
    first = read_makefile(path)
    assert read_makefile(path) is first
    path.write_text("build-B:\n\techo b\n")
    os.utime(path, ns=(1, 1))
    second = read_makefile(path)
    assert second is not first and second.defines("build-B")


def test_read_garbage_bytes_and_non_files(tmp_path):
    path = tmp_path / "Makefile"
    path.write_bytes(b"\xff\xfe\x00build-A:\n\t\x80echo\n    \xc3\x28\n")
    makefile = read_makefile(path)
    assert makefile.defines("\ufffd\ufffd\x00build-A")
    assert [r.line for r in makefile.recipe_lines if r.misplaced] == [3]
    with pytest.raises(IsADirectoryError):
        read_makefile(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_makefile(tmp_path / "nothing")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_read_refuses_a_fifo_instead_of_blocking(tmp_path):
    fifo = tmp_path / "Makefile"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        read_makefile(fifo)


# GNU make is the reference: where it stops with "missing separator", the reader must agree.
MAKE_CASES = {
    "spaces": "build-A:\n\techo a\n    echo b\n",
    "eight spaces": "build-A:\n\techo a\n        echo b\n",
    "after conditional": "build-A:\n\techo a\nifeq (1,1)\n\techo b\n   echo c\nendif\n",
    "crlf": "build-A:\r\n\techo a\r\n  echo b\r\n",
    "after continuation": "build-A:\n\techo a \\\n  b\n   echo c\n",
    "recipeprefix tab": ".RECIPEPREFIX = >\nbuild-A:\n> echo a\n\techo b\n",
    "after define": "X = 1\ndefine Y\n  not a recipe\nendef\nbuild-A:\n\techo\n  echo c\n",
}


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize("name", sorted(MAKE_CASES))
def test_agrees_with_gnu_make(tmp_path, name):
    text = MAKE_CASES[name]
    path = tmp_path / "Makefile"
    path.write_bytes(text.encode())
    result = subprocess.run(["make", "-n", "-f", str(path), "build-A"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=30)
    assert "missing separator" in result.stderr
    line = int(result.stderr.split(f"{path}:", 1)[1].split(":", 1)[0])
    assert misplaced(text)[0] == line


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_gnu_make_accepts_what_the_reader_accepts(tmp_path):
    text = (
        ".RECIPEPREFIX := >\n"
        "build-A build-B: ; @echo inline\n"
        "build-C::\n"
        "> @echo c \\\n"
        "    continued\n"
        "  # comment\n"
        "ifeq (1,1)\n"
        "> @echo in-if\n"
        "  endif\n"
        "define BODY\n"
        "    indented\n"
        "endef\n"
    )
    path = tmp_path / "Makefile"
    path.write_text(text)
    result = subprocess.run(["make", "-n", "-f", str(path), "build-C"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    assert misplaced(text) == []
    assert parse_makefile(text).defines("build-C")


# -- the rules, through the lint pipeline -----------------------------------------------------

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
"""


def function(logical_id: str, code_uri: str | None, **metadata: str) -> str:
    lines = [f"  {logical_id}:", "    Type: AWS::Serverless::Function", "    Properties:"]
    if code_uri is not None:
        lines.append(f"      CodeUri: {code_uri}")
    lines += ["      Handler: bootstrap", "      Runtime: provided.al2023", "    Metadata:",
              "      BuildMethod: makefile"]
    lines += [f"      {key}: {value}" for key, value in metadata.items()]
    return "\n".join(lines) + "\n"


def layer(logical_id: str, content_uri: str, **metadata: str) -> str:
    lines = [f"  {logical_id}:", "    Type: AWS::Serverless::LayerVersion", "    Properties:",
             f"      ContentUri: {content_uri}", "      CompatibleRuntimes: [python3.12]",
             "    Metadata:", "      BuildMethod: makefile"]
    lines += [f"      {key}: {value}" for key, value in metadata.items()]
    return "\n".join(lines) + "\n"


def write(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Files by path; None makes a folder."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("\\t", TAB), encoding="utf-8", newline="")


def build_method_line(template: str, logical_id: str) -> int:
    lines = template.splitlines()
    start = lines.index(f"  {logical_id}:")
    return next(n for n, line in enumerate(lines[start:], start + 1)
                if "BuildMethod" in line)


def lint(template: Path) -> list[tuple[str, str, int, str | None]]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=("SF2",), use_cache=False))
    result = linter.lint([template])
    return [(f.rule, f.location.file, f.location.line, f.resource) for f in result.findings]


@pytest.fixture
def bad_project(tmp_path: Path) -> Path:
    template = HEADER + "".join([
        function("NoMakefile", "no_makefile/"),
        function("CodeFolderGone", "gone/"),
        function("ContextGone", "src/", ContextPath="build/"),
        function("FolderNamedMakefile", "folder_named/"),
        function("LowerCase", "lower/"),
        function("Typo", "typo/"),
        function("PhonyOnly", "phony/"),
        function("Garbage", "garbage/"),
        function("Spaces", "spaces/"),
        layer("DepsLayer", "layer/"),
        function("FromRoot", "src/", ContextPath="."),
        function("Included", "included/"),
        # Out of the project (SF103's finding): not read, whatever is there.
        function("ContextOutside", "src/", ContextPath="../outside"),
        function("LinkedOut", "linked/"),
    ])
    project = tmp_path / "app"
    write(tmp_path, {"outside/Makefile": "build-Other:\n    echo spaces\n"})
    write(project, {
        "template.yaml": template,
        "no_makefile/main.py": "",
        "src/main.py": "",
        "folder_named/Makefile/build.mk": "",
        "lower/makefile": "build-LowerCase:\n\\tcp -r . $(ARTIFACTS_DIR)\n",
        "typo/Makefile": "all:\n\\techo\n\nbuild-Typ0:\n\\tcp -r . $(ARTIFACTS_DIR)\n",
        "phony/Makefile": "\n.PHONY: build-PhonyOnly\n",
        "garbage/Makefile": b"\x00\xff\xfe garbage \x80\n\x89PNG\r\n\x1a\n",
        "spaces/Makefile": "build-Spaces:\r\n\\techo one\r\n    cp -r . $(ARTIFACTS_DIR)\r\n",
        "layer/Makefile": (".RECIPEPREFIX = >\n"
                           "build-DepsLayer:\n"
                           "> pip install -r requirements.txt -t $(ARTIFACTS_DIR)/python\n"
                           "\\tcp -r lib $(ARTIFACTS_DIR)/python\n"),
        "Makefile": "build-Other:\n\\techo\n",
        "included/Makefile": "include targets.mk\n",
        "linked/main.py": "",
    })
    (project / "linked/Makefile").symlink_to(tmp_path / "outside/Makefile")
    return project / "template.yaml"


def test_bad_project(bad_project: Path, monkeypatch):
    # Linted by a relative path, as in CI: Makefile paths come out relative the same way.
    monkeypatch.chdir(bad_project.parent.parent)
    relative = Path(bad_project.parent.name, "template.yaml")
    template = bad_project.read_text()
    shown = str(relative)

    def at(name: str) -> str:
        return os.path.join(bad_project.parent.name, name)

    assert lint(relative) == sorted([
        ("SF201", shown, build_method_line(template, "NoMakefile"), "NoMakefile"),
        ("SF201", shown, build_method_line(template, "ContextGone"), "ContextGone"),
        ("SF201", shown, build_method_line(template, "FolderNamedMakefile"),
         "FolderNamedMakefile"),
        ("SF201", shown, build_method_line(template, "LowerCase"), "LowerCase"),
        ("SF202", at("typo/Makefile"), 4, "Typo"),
        ("SF202", at("phony/Makefile"), 2, "PhonyOnly"),
        ("SF202", at("garbage/Makefile"), 1, "Garbage"),
        ("SF203", at("spaces/Makefile"), 3, "Spaces"),
        ("SF203", at("layer/Makefile"), 4, "DepsLayer"),
        ("SF202", at("Makefile"), 1, "FromRoot"),
    ], key=lambda f: (f[1], f[2], f[0]))


def test_messages_say_what_to_do(bad_project: Path, capsys):
    code = main(["lint", "--no-cache", "--select", "SF2", str(bad_project)])
    out = capsys.readouterr().out
    assert code == 1
    by_line = {line.split(" SF2", 1)[0]: line for line in out.splitlines() if " SF2" in line}
    spaces = by_line[f"{bad_project.parent / 'spaces/Makefile'}:3:1:"]
    assert "SF203 error recipe line of the rule on line 1 is indented with 4 spaces" in spaces
    assert "make needs a tab (or the .RECIPEPREFIX character)" in spaces
    layer_line = by_line[f"{bad_project.parent / 'layer/Makefile'}:4:1:"]
    assert "indented with a tab; .RECIPEPREFIX (line 1) makes '>' the recipe prefix" in layer_line
    typo = by_line[f"{bad_project.parent / 'typo/Makefile'}:4:1:"]
    assert "no build-Typo target for Typo; build-Typ0 differs only slightly" in typo
    phony = by_line[f"{bad_project.parent / 'phony/Makefile'}:2:1:"]
    assert "only listed in .PHONY" in phony
    messages = "\n".join(by_line.values())
    assert "no Makefile in CodeUri folder" in messages
    assert "Metadata.ContextPath folder" in messages and "does not exist" in messages
    assert "is a folder, not a file" in messages
    assert "must be named 'Makefile'" in messages
    assert "SF000" not in out


@pytest.fixture
def good_project(tmp_path: Path) -> Path:
    template = HEADER + "".join([
        function("CastFunction", "cast_service/", ContextPath="."),
        function("MovieFunction", "movie_service/", ContextPath="."),
        function("RatingFunction", "rating_service/"),
        function("PatternFunction", "pattern/"),
        function("RootFunction", "nested/app/", ProjectRootDirectory="nested"),
        function("ImplicitCodeUri", None, ContextPath="."),
        layer("DepsLayer", "layer/"),
        layer("PrefixLayer", "prefix_layer/"),
        function("InS3", "s3://bucket/code.zip"),
    ])
    write(tmp_path, {
        "template.yaml": template,
        "cast_service/main.py": "",
        "movie_service/main.py": "",
        "Makefile": textwrap.dedent("""\
            # Both services share this Makefile (Metadata: ContextPath: .)
            PYTHON ?= python3.12
            SERVICES = cast_service \\
                movie_service

            define COPY_APP
              cp -r $(1)/. $(ARTIFACTS_DIR)
            endef

            .PHONY: build-CastFunction build-MovieFunction
            build-CastFunction build-MovieFunction: check
            \\t$(PYTHON) -m pip install -r requirements.txt \\
                -t $(ARTIFACTS_DIR)
            ifeq ($(DEBUG),1)
            \\t@echo "debug build: $@"
              else
            \\t@echo "release build"
              endif
              # cast and movie share the recipe

            \\t$(call COPY_APP,$(subst build-,,$@))

            build-ImplicitCodeUri::
            \\techo implicit
            check: ; @test -n "$(ARTIFACTS_DIR)"
            """).replace("\r", ""),
        "rating_service/Makefile": "build-RatingFunction:\r\n\\tcp -r . $(ARTIFACTS_DIR)\r\n",
        "pattern/Makefile": "build-%:\n\\tcp -r . $(ARTIFACTS_DIR)\n",
        "nested/Makefile": "build-$(NAME) build-RootFunction:\n\\tcp -r app $(ARTIFACTS_DIR)\n",
        "nested/app/main.py": "",
        "layer/Makefile": "build-DepsLayer:\n\\tpip install -t $(ARTIFACTS_DIR)/python .\n",
        "prefix_layer/Makefile": (".RECIPEPREFIX := >\nbuild-PrefixLayer:\n"
                                  "> mkdir -p $(ARTIFACTS_DIR)/python\n"),
    })
    return tmp_path / "template.yaml"


def test_good_project(good_project: Path):
    assert lint(good_project) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_makefile_that_is_no_regular_file(tmp_path: Path):
    # Reading a FIFO would block the lint run forever; it is reported instead.
    template = HEADER + function("Piped", "piped/")
    write(tmp_path, {"template.yaml": template, "piped/main.py": ""})
    os.mkfifo(tmp_path / "piped/Makefile")
    path = tmp_path / "template.yaml"
    project = build_project(load_template(path), path)
    (violation,) = MakefileMissing().run(project, CheckContext())
    assert violation.path == ("Resources", "Piped", "Metadata", "BuildMethod")
    assert "cannot read" in violation.message and "not a regular file" in violation.message


def test_target_is_not_reported_missing_from_what_was_not_read(tmp_path: Path):
    template = HEADER + function("Huge", "huge/") + function("Included", "included/")
    write(tmp_path, {
        "template.yaml": template,
        "huge/Makefile": "# padding\n" * (MAX_BYTES // 10) + "build-Huge:\n\\techo\n",
        "included/Makefile": "-include $(wildcard *.mk)\n",
    })
    assert read_makefile(tmp_path / "huge/Makefile").truncated
    path = tmp_path / "template.yaml"
    assert list(MakefileTargetMissing().run(build_project(load_template(path), path),
                                              CheckContext())) == []


def test_rules_are_registered_and_documented():
    rules = {c.rule.id: c.rule for c in registered_checks(get_plugin_manager(entry_points=False))}
    for rule_id, name in [("SF201", "makefile-missing"), ("SF202", "makefile-target-missing"),
                          ("SF203", "makefile-recipe-not-tab")]:
        rule = rules[rule_id]
        assert rule.name == name
        for section in ("## What it does", "## Why is this bad?", "## Example",
                        "## Use instead"):
            assert section in rule.docs
