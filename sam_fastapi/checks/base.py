"""What a check is: a rule and a function from a project to violations, and what one run
of the checks shares."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future
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
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[object]] = {}
        # What has been computed, read without the lock or a future: most asks are repeats.
        self._results: dict[Hashable, object] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        try:
            return self._results[key]  # type: ignore[return-value]
        except KeyError:
            pass
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                result = compute()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                self._results[key] = result
                future.set_result(result)
        return future.result()  # type: ignore[return-value]


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
