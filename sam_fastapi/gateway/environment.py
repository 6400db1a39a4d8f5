"""A function's environment variables, swapped in around each of its calls and out after.

During a call the function sees its variables in ``os.environ`` (Python code) and in the C
environment (child processes, C libraries, ``time.tzset``), plus a trace id set for Python
code only; what it changes stays its own for its next calls, and the caller's environment is
as it was.

Only the variables whose value differs are set (``putenv``/``unsetenv``, which is all libc
offers) and put back afterwards. Libc's ``environ`` pointer is never touched: swapping it for
an array of ours saved about 12 µs of a 250 µs call and crashed the process when nested calls
retired an array libc was still pointing at. Everything runs under the GIL, as every change to
``os.environ`` does, so Python threads see one environment or the other, never a mix.

A change belongs to the function whose thread made it, whichever function's call is running
then: a thread a function left running after its call (it runs on, where Lambda would freeze
it) writes into whatever environment is swapped in. While any environment is open, the
store of ``os.environ`` (``_data``, which ``os.environb`` shares) is an ``EnvironmentStore``
that remembers which thread last wrote or deleted each variable, and which function each
thread belongs to: the thread its instance runs it on (``claim``) and every thread started
during one of its calls (taken at ``leave``). At ``leave`` a change by one of the function's
own threads, or by a thread nobody owns that was started during the call, becomes the
function's; a change by another function's thread becomes that function's (and is put back
like the others); a change by a thread of the caller (the test, or a function whose call is
running further up the chain of nested calls) stays in the caller's environment. Between
calls, a function's thread writes into the caller's environment as any thread of the process
does, and the change becomes its function's too. Changes made without ``os.environ``
(``os.putenv``, or ``setenv`` from C code) are seen by nobody here: they stay in the C
environment only, whoever made them. Off POSIX no thread is tracked (``os.environ``'s
store is left as it is).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sam_fastapi.runtime.context import TRACE_ID

#: Values of TZ that mean UTC, as the C library reads them.
_UTC_NAMES = frozenset({"UTC", "UTC0", "Etc/UTC", "GMT", "GMT0", "Etc/GMT", "Universal", "Zulu"})


def is_utc(tz: str | None) -> bool:
    """Whether ``TZ=tz`` makes local time UTC (None: unset, which is the host's zone)."""
    return tz is not None and tz.removeprefix(":") in _UTC_NAMES


@dataclass(frozen=True)
class Entered:
    """What ``leave`` needs; ``tz`` is the function's TZ, ``tz_changed`` whether the caller's
    differs."""

    tz: str | None
    tz_changed: bool
    plan: _Plan
    saved_trace: Any
    applied: dict[Any, Any] | None
    threads: frozenset[threading.Thread]  # those running then


@dataclass(frozen=True)
class _Plan:
    """What setting the variables over the current environment changes: only what differs.

    Between calls the environment is usually what it was at the last call, so the plan is made
    once and reused while the outside environment stays the same.
    """

    variables: tuple[tuple[Any, Any], ...]
    outside: dict[Any, Any] | None  # the whole environment then (None: not POSIX)
    puts: tuple[tuple[Any, Any], ...]  # variables to set, their value differs outside
    deletes: tuple[Any, ...]  # variables to unset, set outside
    resets: tuple[tuple[Any, Any], ...]  # afterwards: those set outside, with that value
    unsets: tuple[Any, ...]  # afterwards: those not set outside
    tz: str | None
    tz_changed: bool


class EnvironmentStore(dict[Any, Any]):
    """``os.environ``'s store while environments are open: which thread last wrote or deleted
    each variable (through ``os.environ``: its ``__setitem__`` and ``__delitem__``), and whose
    each known thread is. The swap's own changes go through ``dict``'s methods, unrecorded.
    """

    def __init__(self, data: Mapping[Any, Any]) -> None:
        super().__init__(data)
        self.writers: dict[Any, threading.Thread] = {}
        self.owners: weakref.WeakKeyDictionary[threading.Thread, FunctionEnvironment] = (
            weakref.WeakKeyDictionary())
        self.running = 0  # calls in progress, nested ones included
        self.open = 0  # environments using this store

    def __setitem__(self, key: Any, value: Any) -> None:
        writer = self.writers[key] = threading.current_thread()
        dict.__setitem__(self, key, value)
        if not self.running:
            self._between_calls(writer, key, value)

    def __delitem__(self, key: Any) -> None:
        dict.__delitem__(self, key)
        writer = self.writers[key] = threading.current_thread()
        if not self.running:
            self._between_calls(writer, key, None)

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy (``copy.deepcopy(os.environ)``) is a plain dict of the variables.
        return dict, (dict(self),)

    #: Set a variable for the swap itself, which is nobody's change.
    set_quietly = dict.__setitem__

    def _between_calls(self, writer: threading.Thread, key: Any, value: Any) -> None:
        owner = self.owners.get(writer)
        if owner is not None:
            owner.keep({key: value})


def _open_store() -> EnvironmentStore | None:
    """The store of ``os.environ``, made an ``EnvironmentStore`` if it is not one yet;
    None off POSIX (or when something else replaced it)."""
    data = getattr(os.environ, "_data", None)
    if os.name != "posix" or type(data) not in (dict, EnvironmentStore):
        return None
    store = data if isinstance(data, EnvironmentStore) else _replace_store(EnvironmentStore)
    store.open += 1
    return store


def _close_store(store: EnvironmentStore) -> None:
    store.open -= 1
    if not store.open and os.environ._data is store:  # type: ignore[attr-defined]
        _replace_store(dict)


def _replace_store(kind: type[dict[Any, Any]]) -> Any:
    environ: Any = os.environ
    old = environ._data
    before = dict(old)
    new = environ._data = kind(before)
    bytes_environ: Any = getattr(os, "environb", None)
    if bytes_environ is not None and bytes_environ._data is old:
        bytes_environ._data = new
    # What another thread wrote between the copy and the swap went to the old store.
    if old != before:
        for key in before.keys() - old.keys():
            dict.pop(new, key, None)
        dict.update(new, ((k, v) for k, v in old.items() if before.get(k) != v))
    return new


class FunctionEnvironment:
    """One instance's variables (``None``: unset), and what it did to them itself.

    ``os.environ`` encodes every key and value on each access; on POSIX this works on its
    store with keys and values encoded once.
    """

    def __init__(self, variables: Mapping[str, str | None]) -> None:
        self.data = _open_store()
        self.running = 0  # its calls in progress
        self.closed = False
        self.trace_key = self._encode(TRACE_ID)
        self.tz_key = self._encode("TZ")
        self.variables = tuple((self._encode(k), None if v is None else self._encode(v))
                               for k, v in variables.items())
        self.plan: _Plan | None = None

    def enter(self, trace_id: str) -> Entered:
        """Swap the function's environment in, with ``trace_id`` for Python code only."""
        plan = self.plan = self._plan()
        self._change(plan.deletes, plan.puts)
        saved_trace = self._set_python_only(self.trace_key, self._encode(trace_id))
        data = self.data
        applied = None
        if data is not None:
            applied = data.copy()  # a plain dict; dict(data) copies item by item, 5x slower
            data.running += 1
        self.running += 1
        return Entered(plan.tz, plan.tz_changed, plan, saved_trace, applied,
                       frozenset(threading.enumerate()))

    def leave(self, entered: Entered) -> list[threading.Thread]:
        """Swap the caller's environment back; keep what the function changed for its next
        call. The threads started during the call that still run, now the function's."""
        plan, saved_trace, applied = entered.plan, entered.saved_trace, entered.applied
        data = self.data
        outside: list[tuple[Any, Any]] = []
        if applied is not None and data is not None and data != applied:
            changed = {k: v for k, v in data.items() if applied.get(k) != v}
            changed.update((k, None) for k in applied if k not in data)
            self.keep(self._attribute(changed, entered.threads, outside))
            # Back to the values set on the way in; the trace id, which the function set or
            # removed itself (in the C environment too), straight back to the caller's.
            kept = {k for k, _ in outside}
            self._restore([(k, saved_trace if k == self.trace_key else applied.get(k))
                           for k in changed if k not in kept])
        self._set_python_only(self.trace_key, saved_trace)
        self._change(plan.unsets, plan.resets)
        if outside:
            self._restore(outside)  # over the caller's values the plan put back
        self.running -= 1
        if data is None:
            return [t for t in threading.enumerate() if t not in entered.threads]
        data.running -= 1
        owners = data.owners
        started = [t for t in threading.enumerate()
                   if t not in entered.threads and t not in owners]
        for thread in started:
            owners[thread] = self
        return started

    def claim(self, thread: threading.Thread) -> None:
        """Count what ``thread`` writes to ``os.environ`` as this function's."""
        if self.data is not None:
            self.data.owners[thread] = self

    def keep(self, changes: Mapping[Any, Any]) -> None:
        """Make changes (prepared variables, None: unset) the function's own for its next calls."""
        own = dict(self.variables)
        own.update(changes)
        own.pop(self.trace_key, None)  # set anew on each call
        if own != dict(self.variables):
            self.variables = tuple(own.items())
            self.plan = None

    def close(self) -> None:
        """The environment is not entered again: ``os.environ``'s store is a plain ``dict``
        again once no environment is open."""
        if self.data is not None and not self.closed:
            self.closed = True
            _close_store(self.data)

    def _attribute(self, changed: dict[Any, Any], before: frozenset[threading.Thread],
                   outside: list[tuple[Any, Any]]) -> dict[Any, Any]:
        """The changes made during the call that are the function's own (the trace id's
        always is: it goes back to the caller's). Another function's are made its own; the
        caller's are added to ``outside``."""
        assert self.data is not None
        writers, owners = self.data.writers, self.data.owners
        own = {}
        for key, value in changed.items():
            writer = writers.get(key)
            owner = None if writer is None else owners.get(writer)
            if (owner is self or writer is None or key == self.trace_key
                    or (owner is None and writer not in before)):
                own[key] = value
            elif owner is not None and not owner.running:
                owner.keep({key: value})
            else:
                outside.append((key, value))
        return own

    def current_tz(self) -> str | None:
        """TZ as the running function sees it now."""
        value = (os.environ if self.data is None else self.data).get(self.tz_key)
        return value if value is None or isinstance(value, str) else os.fsdecode(value)

    def _encode(self, text: str) -> Any:
        return os.fsencode(text) if self.data is not None else text

    def _plan(self) -> _Plan:
        data, variables, previous = self.data, self.variables, self.plan
        if (previous is not None and previous.variables is variables and data is not None
                and previous.outside == data):
            return previous
        current: Mapping[Any, Any] = os.environ if data is None else data
        changed = [(k, v, current.get(k)) for k, v in variables if current.get(k) != v]
        tz = dict(variables).get(self.tz_key, current.get(self.tz_key))
        return _Plan(
            variables, None if data is None else data.copy(),
            puts=tuple((k, v) for k, v, _ in changed if v is not None),
            deletes=tuple(k for k, v, _ in changed if v is None),
            resets=tuple((k, old) for k, _, old in changed if old is not None),
            unsets=tuple(k for k, _, old in changed if old is None),
            tz=tz if tz is None or isinstance(tz, str) else os.fsdecode(tz),
            tz_changed=any(k == self.tz_key for k, _, _ in changed))

    def _change(self, unsets: tuple[Any, ...], puts: tuple[tuple[Any, Any], ...]) -> None:
        data = self.data
        if data is None:
            for name in unsets:
                os.environ.pop(name, None)
            os.environ.update(puts)
            return
        unsetenv, putenv = os.unsetenv, os.putenv
        for key in unsets:
            unsetenv(key)
            data.pop(key, None)
        for key, value in puts:
            putenv(key, value)
        data.update(puts)

    def _set_python_only(self, key: Any, value: Any) -> Any:
        """Set a prepared variable (None: unset) for Python code only; its old value.

        For a value that changes on every call: the C library keeps every value ever given
        to ``setenv`` (glibc never frees them, ~100 bytes a call), and a subprocess started
        meanwhile does not need it.
        """
        data = self.data
        if data is None:
            old = os.environ.get(key)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
            return old
        old = data.get(key)
        if value is None:
            data.pop(key, None)
        else:
            data.set_quietly(key, value)
        return old

    def _restore(self, saved: list[tuple[Any, Any]]) -> None:
        """Put prepared variables back to the values given (None: unset)."""
        data = self.data
        if data is None:
            for name, value in saved:
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            return
        for key, old in reversed(saved):
            if data.get(key) == old:
                continue
            if old is None:
                os.unsetenv(key)
                data.pop(key, None)
            else:
                os.putenv(key, old)
                data.set_quietly(key, old)
