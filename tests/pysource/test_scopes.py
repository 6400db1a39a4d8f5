"""The tree walks every analysis uses visit what ``ast``'s own do, in the same order."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from sam_fastapi.pysource import child_nodes, walk

EVERY_SHAPE = textwrap.dedent("""\
    from . import x as y
    import a.b
    @app.get("/{p}", **extra)
    async def f(a, /, b: int = 1, *c, d, **e) -> dict[str, int]:
        global g
        if (n := len(c)) > 1 and not d:
            async with open(a) as (h, i):
                return [j async for j in h if j] or {k: v for k, v in e.items()}
        try:
            yield from (lambda q=1: q)(b)
        except (ValueError, TypeError) as err:
            raise RuntimeError(f"{err!r:>10}") from err
        finally:
            del a[1:2, ::3]
        match c:
            case [1, *rest] | {"k": _, **more} if rest:
                pass
            case Point(x=0, y=yy) as pt:
                print(pt, yy)
    class C(Base, metaclass=M):
        attr: int
        x = y = -1 ** 2 @ 3
    for i, *j in k:
        continue
    else:
        while True:
            break
    """)
#: Grammar of later Pythons than the oldest supported one, tested where it parses.
NEWER = "try:\n    pass\nexcept* E as e:\n    pass\ntype T[U] = list[U]\n"
PYSOURCE = Path(__file__).resolve().parents[2] / "sam_fastapi" / "pysource"
SOURCES = [EVERY_SHAPE, *([NEWER] if sys.version_info >= (3, 12) else []),
           *(path.read_text() for path in sorted(PYSOURCE.glob("*.py")))]


@pytest.mark.parametrize("source", SOURCES)
def test_walk_and_child_nodes_are_asts(source: str) -> None:
    tree = ast.parse(source)
    assert [id(n) for n in walk(tree)] == [id(n) for n in ast.walk(tree)]
    for node in ast.walk(tree):
        assert [id(c) for c in child_nodes(node)] == [id(c) for c in ast.iter_child_nodes(node)]
