"""``sam-fastapi lint`` on random projects with random options: exit code 0, 1 or 2, never a
traceback, in bounded time.

cfn-lint and the SAM transform are left out (their own projects fuzz them, and they cost
seconds a run); every sam-fastapi check runs.
"""

from __future__ import annotations

import json
import time

from hypothesis import given
from hypothesis import strategies as st

from fuzz.test_code_fuzz import makefile_fragments, python_fragments
from fuzz.test_template_fuzz import documents
from sam_fastapi.cli import main

#: Generous: a run takes well under a second; only a blow-up (or a hang) comes near.
TIME_LIMIT = 30

texts = st.one_of(
    st.binary(max_size=200),
    st.lists(python_fragments, max_size=15).map(
        lambda parts: "".join(parts).encode("utf-8", errors="surrogateescape")),
    st.lists(makefile_fragments, max_size=15).map(
        lambda parts: "".join(parts).encode("utf-8", errors="surrogateescape")),
    st.sampled_from([b"fastapi\nmangum\n", b"-r requirements.txt\n", b"{}", b"[]",
                     b'{"httpMethod": "GET", "path": "/", "resource": "/"}']),
)
files = st.dictionaries(
    st.sampled_from(["src/app/main.py", "src/app/__init__.py", "src/requirements.txt",
                     "src/Makefile", "layers/deps/Makefile", "layers/deps/requirements.txt",
                     "events/a.json", "events/sub/b.json", "samconfig.toml", "pyproject.toml",
                     "src/x-1.0.dist-info/METADATA", "src/x-1.0.dist-info/WHEEL"]),
    texts, max_size=6,
)
options = st.fixed_dictionaries({
    "--format": st.sampled_from(["text", "json", "sarif", "github", "nope"]),
    "--fail-level": st.sampled_from(["error", "warning", "info", "bogus"]),
    "--select": st.sampled_from(["SF001,SF1,SF2,SF3,SF4,SF5", "SF3", "SF1,SF5",
                                 "SF001,SF2,SF4", "SF9", "SF001,,SF3"]),
})


@given(document=documents, files=files, options=options)
def test_lint_exits_0_1_or_2_without_a_traceback(tmp_path_factory, capsys, document, files,
                                                 options):
    root = tmp_path_factory.mktemp("cli")
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "template.yaml").write_text(json.dumps(document), encoding="utf-8")
    args = [part for option in options.items() for part in option]

    started = time.monotonic()
    code = main(["lint", str(root / "template.yaml"), "--no-cache", *args])
    elapsed = time.monotonic() - started

    captured = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in captured.err
    assert "SF000" not in captured.out
    if code == 2:
        assert len(captured.err.strip().splitlines()) == 1
    assert elapsed < TIME_LIMIT
