"""What a check is: a rule and a function from a project to violations, and what one run
of the checks shares."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar, runtime_checkable

from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Rule, Violation
from sam_fastapi.paths import Folders
from sam_fastapi.template.model import Project

T = TypeVar("T")


class Memo:
    """Results computed once and shared by the checks of one run, which run on their own
    threads: a check that asks while another one's computation is under way waits for it
    rather than starting over. A computation that raises raises for every asker."""

    def __init__(self) -> None:
        # One condition for every key rather than a future per key: most keys are computed
        # by the first asker alone, and a run asks for about a thousand.
        self._done = threading.Condition(threading.Lock())
        self._pending: set[Hashable] = set()
        self._errors: dict[Hashable, BaseException] = {}
        # Read without the lock: most asks are repeats.
        self._results: dict[Hashable, object] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        try:
            return self._results[key]  # type: ignore[return-value]
        except KeyError:
            pass
        with self._done:
            while key in self._pending:  # another thread is computing it
                self._done.wait()
            if key in self._results:
                return self._results[key]  # type: ignore[return-value]
            if key in self._errors:
                raise self._errors[key]
            self._pending.add(key)
        try:
            result = compute()
        except BaseException as exc:
            with self._done:
                self._errors[key] = exc
                self._pending.discard(key)
                self._done.notify_all()
            raise
        with self._done:
            self._results[key] = result
            self._pending.discard(key)
            self._done.notify_all()
        return result


@dataclass(frozen=True)
class CheckContext:
    """What the checks of one template's lint share: the configuration (``--import`` and the
    rest), and, living as long as the run on that template, a memo and the folders read."""

    config: LintConfig = field(default_factory=LintConfig)
    memo: Memo = field(default_factory=Memo, compare=False)
    folders: Folders = field(default_factory=Folders, compare=False)


@runtime_checkable
class Check(Protocol):
    """A lint check. ``run`` yields violations; it never prints, exits or computes lines.

    Violations of files other than the template carry a ``location``; those of the template
    carry the template ``path`` and the runner resolves it. ``ctx`` is shared by every check
    of the run: analyses several rules need go through ``ctx.memo``.
    """

    rule: ClassVar[Rule]

    def run(self, project: Project, ctx: CheckContext) -> Iterable[Violation]: ...


def shown(project: Project, path: Path | str) -> str:
    """``path`` relative to the template's folder when it is inside it, as messages show it."""
    try:
        return Path(path).relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
