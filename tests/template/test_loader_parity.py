"""Our loader reads every template as cfn-lint's decoder does: same data, same nodes, same marks.

The reference is what ``load_template`` was before it had a loader of its own: cfn-lint's
``decode`` with its matches turned into ``TemplateError``. Every template file of the
repository, every template written inline in a test, hand-picked corners of YAML and JSON
and generated documents go through both.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sam_fastapi.findings import Location
from sam_fastapi.template import TemplateError, build_project, load_template
from sam_fastapi.template.loader import MAX_DEPTH, Mark

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
JSON_MESSAGES = ("Expecting", "Unterminated string", "Invalid control character", "Invalid \\",
                 "Extra data")


def reference_load(path: Path) -> dict[str, Any]:
    """The template as cfn-lint's decoder reads it (this was ``load_template``'s body)."""
    from cfnlint.decode import decode

    filename = str(path)
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TemplateError(
            f"template is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            Location(filename, line, column)) from None
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    try:
        template, matches = decode(filename)
    except RecursionError:
        raise TemplateError("template nests too deeply to be read", Location(filename)) from None
    if matches:
        first = matches[0]
        message = first.message.replace(f"{filename}: ", "").strip().splitlines()[0]
        duplicate = re.match(r"Duplicate found ('.*') \(line \d+\)$", message)
        if duplicate and len(matches) > 1:
            message = f"duplicate key {duplicate[1]} (first at line {first.linenumber})"
            first = matches[1]
        raise TemplateError(
            message, Location(filename, max(first.linenumber, 1), max(first.columnnumber, 1)))
    if not isinstance(template, dict):
        raise TemplateError("template is not a mapping of sections", Location(filename))
    return template


def assert_same_nodes(ours: Any, theirs: Any, where: tuple[Any, ...] = ()) -> None:
    """Equal values, the same node kinds, and equal start and end marks, all the way down."""
    assert _kind(ours) == _kind(theirs), (where, ours, theirs)
    if hasattr(theirs, "start_mark") and not _lost_by_cfn_lint(ours, theirs):
        assert _marks(ours) == _marks(theirs), (where, ours)
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for (our_key, our_value), (their_key, their_value) in zip(
                ours.items(), theirs.items(), strict=True):
            assert_same_nodes(our_key, their_key, (*where, "key", their_key))
            assert_same_nodes(our_value, their_value, (*where, their_key))
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), where
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_nodes(mine, other, (*where, index))
    elif isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours), where
    else:
        assert ours == theirs, where


def _lost_by_cfn_lint(ours: Any, theirs: Any) -> bool:
    """cfn-lint rebuilt this YAML node without its marks (``!GetAtt {...}``); ours has them."""
    from cfnlint.decode.mark import Mark as CfnLintMark

    return (isinstance(theirs.start_mark, CfnLintMark) and _marks(theirs) == ((1, 1), (1, 1))
            and not isinstance(ours.start_mark, Mark))


def _kind(value: Any) -> str:
    for base in (str, dict, list):
        if isinstance(value, base):
            return f"{base.__name__}{'+marks' if hasattr(value, 'start_mark') else ''}"
    return type(value).__name__


def _marks(node: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    return ((node.start_mark.line, node.start_mark.column),
            (node.end_mark.line, node.end_mark.column))


def assert_reads_alike(path: Path) -> None:
    """Both loaders give the same template and model, or the same error at the same place."""
    try:
        theirs = reference_load(path)
    except TemplateError as expected:
        with pytest.raises(TemplateError) as raised:
            load_template(path)
        if "maximum recursion depth exceeded" in expected.message:
            # cfn-lint's limit is Python's stack (its depth depends on the caller's); ours is
            # a number of levels, lower than where cfn-lint gives up.
            assert raised.value.message == f"template nests deeper than {MAX_DEPTH} levels"
            return
        if expected.message.startswith(JSON_MESSAGES):
            # cfn-lint's JSON decoder puts its errors one character to the right (past a bad
            # newline, on the next line); ours point at the character.
            assert raised.value.message == expected.message
            assert raised.value.location.line in (expected.location.line - 1,
                                                  expected.location.line)
            if raised.value.location.line == expected.location.line:
                assert raised.value.location.column in (expected.location.column - 1,
                                                        expected.location.column)
            return
        assert (raised.value.message, raised.value.location) == (
            expected.message, expected.location)
        return
    ours = load_template(path)
    assert_same_nodes(ours, theirs)
    assert build_project(ours, path) == build_project(theirs, path)


# -- the repository's templates ---------------------------------------------------------------

def repository_documents() -> list[Path]:
    found = []
    for folder in ("tests", "examples"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


@pytest.mark.parametrize("path", repository_documents(),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_repository_document_reads_alike(path: Path) -> None:
    assert_reads_alike(path)


def test_the_repository_has_the_templates_the_parity_claims() -> None:
    names = {p.relative_to(REPO).as_posix() for p in repository_documents()}
    assert "examples/movies/template.yaml" in names
    assert sum(n.startswith("tests/corpus/") for n in names) > 50


def inline_templates() -> list[str]:
    """Every string literal in the tests that is a template (has a Resources section)."""
    found: set[str] = set()
    for source in sorted((REPO / "tests").rglob("test_*.py")):
        if source.name == Path(__file__).name:
            continue  # the corners below are tested by name
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                text = node.value if isinstance(node.value, str) else node.value.decode(
                    "utf-8", "surrogateescape")
                if "Resources" in text and ("\n" in text or text.lstrip().startswith("{")):
                    found.add(text)
    return sorted(found)


def test_the_tests_write_templates_inline() -> None:
    assert len(inline_templates()) > 30


@pytest.mark.parametrize("text", inline_templates(), ids=lambda t: t[:40].replace("\n", "|"))
def test_every_inline_test_template_reads_alike(tmp_path: Path, text: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert_reads_alike(path)


# -- the corners of YAML and JSON -------------------------------------------------------------

CORNERS = {
    "every short form": """\
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Both: !And [!Condition IsProd, !Not [!Condition IsProd]]
  Either: !Or [!Condition IsProd, !Equals [a, b]]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      CodeUri: !If [IsProd, !Sub "${AWS::StackName}-x", !Ref AWS::NoValue]
      Handler: !Join ["", [!Select [0, !Split [",", "a,b"]], ".handler"]]
      Role: !GetAtt Role.Arn
      Layers: [!GetAtt [Layer, Arn], !ImportValue shared, !Base64 abc]
      Description: !FindInMap [Map, !Ref "AWS::Region", Key]
      Zones: !GetAZs ""
      Cidr: !Cidr [!GetAtt Vpc.CidrBlock, 6, 5]
      Tags: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
      Length: !Length [1, 2]
      Json: !ToJsonString {a: b}
      Custom: !Secret hunter2
      Map: !Sub
        - "${A}"
        - A: !Ref B
      Cond: !Contains [[a], a]
      Each: !EachMemberEquals [[a], a]
      In: !EachMemberIn [[a], [a]]
      Refall: !RefAll AWS::EC2::VPC::Id
      ValueOf: !ValueOf [P, Attr]
""",
    "scalars of every type": """\
Resources:
  R:
    Properties:
      int: 12
      octal: 0o14
      hex: 0x1F
      float: 1.5e3
      inf: .inf
      nan: .nan
      bools: [yes, No, true, off]
      nulls: [~, null, ]
      date: 2024-01-02
      time: 2024-01-02T03:04:05Z
      binary: !!binary aGVsbG8=
      quoted: ['1', "true", 'null']
      block: |
        line one
        line two
      folded: >-
        a
        b
      set: !!set {a, b}
      omap: !!omap [a: 1, b: 2]
      pairs: !!pairs [a: 1, a: 2]
      explicit: !!str 12
      int_key: {1: one, 2.5: two, true: three}
""",
    "anchors, aliases and merges": """\
Globals:
  Function: &defaults
    Runtime: python3.12
    Timeout: 10
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      <<: *defaults
      Timeout: 20
  B:
    Type: AWS::Serverless::Function
    Properties: *defaults
  C:
    Properties:
      <<: [*defaults, {Handler: x}]
      Runtime: python3.11
""",
    "getatt forms": """\
Resources:
  A: {Properties: {X: !GetAtt a.b.c, Y: !GetAtt [a, b.c], Z: !GetAtt ["a", !Ref b]}}
  B: {Properties: {X: !GetAtt {a: b}, Y: !GetAtt , Z: !GetAtt [], W: !GetAtt abc}}
""",
    "tagged empty and nested": """\
Resources:
  A: {Properties: {X: !Ref , Y: !Sub [], Z: !If [c, !If [d, 1, 2], !Ref e]}}
""",
    "flow, quoting and unicode": """\
{"Resources": {"Fn": {"Type": "AWS::Serverless::Function",
  "Properties": {"Description": "caf\\u00e9 \\"q\\" \\u2603", "Handler": 'a.b',
  "Events": [{"Type": "Api"}, ]}}}}
""",
    "json with tabs": '{\n\t"Resources": {\n\t\t"Fn": {\n\t\t\t"Type": "AWS::Serverless::Function",'
                      '\n\t\t\t"Properties": {"Tags": [1, 2.5, true, null, "x", {}], "E": {}}'
                      '\n\t\t}\n\t}\n}\n',
    "json with tabs on one line": '{\t"Resources": {\t"A": [\t1, {"b": []}]}}',
    "json with an escaped slash and tabs": '{\n\t"Resources": {"A": {"Type": "a\\/b"}}\n}\n',
    "json numbers with tabs": '{\n\t"Resources": {"A": [-0, 1e5, -2.5E-3, 10]}\n}\n',
    "json duplicate after a tab": '{\n\t"Resources": {},\n\t"Outputs": {}\n}\n',
    "crlf and comments": "# c\r\nResources:  # r\r\n  A:\r\n    B: c  # d\r\n",
    "bom": "\ufeffResources:\n  A: {}\n",
    "document markers": "---\nResources:\n  A: b\n...\n",
    "null key": "Resources:\n  ~: x\n",
    "empty key": "Resources:\n  ? \n  : x\n",
    "unhashable key": "Resources:\n  [a, b]: x\n",
    "nested duplicate before outer": "A: 1\nA: 2\nB: {C: 1, C: 2}\n",
    "duplicate in a list item": "Resources:\n  - {A: 1, A: 2}\n",
    "duplicate int and bool key": "Resources:\n  1: a\n  true: b\n",
    "three duplicates": "R:\n  A: 1\n  B: 2\n  A: 3\n  B: 4\n  A: 5\n",
    "duplicate inside a tag": "Resources:\n  A: !Sub {X: 1, X: 2}\n",
    "undefined alias": "Resources: *nope\n",
    "recursive alias": "Resources: &a [*a]\n",
    "unknown python tag": "Resources: !!python/object:os.system {}\n",
    "bad timestamp": "Resources: {A: 2024-13-45}\n",
    "two documents": "Resources: {}\n---\nOutputs: {}\n",
    "null byte": "Resources: {A: \"\x00\"}\n",
    "tab indentation": "Resources:\n\tFn: {}\n",
    "tab in a flow": "Resources: {\tA: 1}\n",
    "json syntax error after tabs": '{\n\t"Resources": {\n\t\t"A": {,}\n\t}\n}\n',
    "json unterminated after tabs": '{\n\t"Resources": "abc\n}\n',
    "json extra data after tabs": '{\n\t"Resources": {}\n}\n{}\n',
    "json missing colon after tabs": '{\n\t"Resources" {}\n}\n',
    "a tab and not json": "\tResources: x\n",
    "unknown escape": 'Resources: "\\q"\n',
    "indent error": "Resources:\n  Fn:\n    Type: x\n   Bad: y\n",
    "unclosed flow": "Resources:\n  Fn: {Type: x\nOutputs: {}\n",
    "list": "- a\n- b\n",
    "scalar": "just text\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "null document": "null\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                  + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                            for p, c in zip("abcdef", "bcdefg", strict=True)),
    "deep flow nesting": "Resources: " + "[" * 3000 + "]" * 3000 + "\n",
    "deep block nesting": "".join(" " * i + f"k{i}:\n" for i in range(90)) + " " * 90 + "v\n",
    "deep mixed nesting": "R: " + "[{a: " * 45 + "1" + "}]" * 45 + "\n",
}


@pytest.mark.parametrize(("text", "line"), [
    ("R: " + "[" * 101 + "]" * 101 + "\n", 1),
    ("".join(" " * i + f"k{i}:\n" for i in range(101)) + " " * 101 + "v\n", 101),
    ("R: !If " + "[{a: " * 51 + "1" + "}]" * 51 + "\n", 1),
], ids=["lists", "mappings", "under a tag"])
def test_nesting_past_the_limit_is_refused_at_the_line_it_happens(
        tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as raised:
        load_template(path)
    assert raised.value.message == f"template nests deeper than {MAX_DEPTH} levels"
    assert raised.value.location.line == line


# -- generated documents -----------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=6), children,
                        max_size=3)),
    max_leaves=15,
)


@settings(max_examples=60, deadline=None)
@given(document=st.dictionaries(st.sampled_from(["Resources", "Globals", "Outputs"]),
                                json_values, min_size=1),
       indent=st.sampled_from([None, 2, "\t"]))
def test_generated_json_reads_alike(tmp_path_factory: pytest.TempPathFactory,
                                    document: dict[str, Any], indent: Any) -> None:
    path = tmp_path_factory.mktemp("j") / "template.json"
    path.write_text(json.dumps(document, indent=indent, ensure_ascii=False), encoding="utf-8")
    assert_reads_alike(path)


yaml_fragments = st.sampled_from([
    "Resources:\n", "  Fn:\n", "    Type: AWS::Serverless::Function\n", "    Properties:\n",
    "      CodeUri: !Ref X\n", "      Role: !GetAtt R.Arn\n", "      Events: [1, 2]\n", "\t",
    "  ", "\r\n", "- ", "&a [*a]\n", "*a\n", "&b {k: v}\n", "<<: *b\n", "!GetAtt\n", "!Sub ",
    "{", "}", "[", "]", "'", '"', ": ", ", ", "? ", "Resources: Resources\n", "~: x\n",
    "Globals: {Function: {Runtime: [python3.12]}}\n", "k: 1\nk: 2\n", "2024-01-02\n", "\\",
])


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(yaml_fragments, max_size=20))
def test_generated_yaml_reads_alike(tmp_path_factory: pytest.TempPathFactory,
                                    parts: list[str]) -> None:
    path = tmp_path_factory.mktemp("y") / "template.yaml"
    path.write_text("".join(parts), encoding="utf-8", newline="")
    assert_reads_alike(path)


# -- without libyaml ---------------------------------------------------------------------------

def fingerprint(node: Any) -> Any:
    """The decoded data with the marks of every node, as plain JSON-able values."""
    marks = list(_marks(node)) if hasattr(node, "start_mark") else None
    if isinstance(node, dict):
        return [marks, [[fingerprint(k), fingerprint(v)] for k, v in node.items()]]
    if isinstance(node, list):
        return [marks, [fingerprint(item) for item in node]]
    return [marks, repr(node)]


FINGERPRINTS = """
import json, sys, yaml
del yaml.CSafeLoader  # as in a PyYAML built without libyaml
sys.path.insert(0, sys.argv[1])
from test_loader_parity import fingerprint
from sam_fastapi.template import TemplateError, load_template
from sam_fastapi.template.loader import _BaseLoader
assert _BaseLoader is yaml.SafeLoader
out = {}
for path in sys.argv[2:]:
    try:
        out[path] = fingerprint(load_template(path))
    except TemplateError:
        out[path] = "unreadable"  # libyaml and PyYAML word their syntax errors differently
print(json.dumps(out))
"""


def test_pure_python_pyyaml_reads_every_template_alike(tmp_path: Path) -> None:
    paths = [str(p) for p in repository_documents()]
    for name, text in CORNERS.items():
        if "tab" in name:
            continue  # PyYAML's own scanner accepts tabs where libyaml's refuses them
        path = tmp_path / f"{len(paths)}.yaml"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(str(path))
    result = subprocess.run([sys.executable, "-c", FINGERPRINTS, str(Path(__file__).parent),
                             *paths], capture_output=True, text=True, timeout=300, check=True)
    python_read = json.loads(result.stdout)
    for path in paths:
        try:
            expected = fingerprint(load_template(path))
        except TemplateError:
            expected = "unreadable"
        assert python_read[path] == json.loads(json.dumps(expected)), path
