"""A function's environment variables, swapped in around each of its calls and out after.

During a call the function sees its variables in ``os.environ`` (Python code) and in the C
environment (child processes, C libraries, ``time.tzset``), plus a trace id set for Python
code only; what it changes stays its own for its next calls, and the caller's environment is
as it was. Two ways to get there, with the same behaviour:

- ``_PointerSwap`` (Linux with glibc): the function's environment is kept made, as a dict for
  ``os.environ`` and an array of ``KEY=VALUE`` strings for C. A call swaps ``os.environ``'s
  store and libc's ``environ`` pointer, a few assignments, where setting and restoring each
  variable means some thirty ``setenv``/``unsetenv`` calls, each scanning the whole environment.
  The caller's side is an array of ours too, a copy of the pointers libc had (made again only
  when the caller's environment changed): libc reallocates its own array when a function adds
  a variable, and must never free the one the caller gets back. Every string handed to C is
  kept for the life of the process, as glibc keeps every string given to ``setenv``.
- ``_VariableSwap`` (anywhere else): sets the variables whose value differs, and puts them
  back afterwards.

Both run under the GIL, as every change to ``os.environ`` does, so Python threads see one
environment or the other, never a mix.
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TRACE_ID = "_X_AMZN_TRACE_ID"
#: Arrays libc no longer points at are freed only this many swaps later, in case a thread
#: outside Python (no GIL) was reading one.
_RETIRED_KEPT = 64


class FunctionEnvironment:
    """One instance's variables (``None``: unset), and what it did to them itself."""

    def __init__(self, variables: Mapping[str, str | None]) -> None:
        self.swap = swap()
        self.variables = self.swap.prepare(variables)
        self.made: Any = None  # the swap's cached work for the current outside environment

    def enter(self, trace_id: str) -> Entered:
        """Swap the function's environment in, with ``trace_id`` for Python code only."""
        return self.swap.enter(self, trace_id)

    def leave(self, entered: Entered) -> None:
        """Swap the caller's environment back; keep what the function changed for its next call."""
        self.swap.leave(self, entered)


@dataclass(frozen=True)
class Entered:
    """What ``leave`` needs; ``tz_changed`` says the call sees another TZ than its caller."""

    tz_changed: bool
    saved: Any


def _changes(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> dict[Any, Any]:
    """What changed from ``before`` to ``after``: new values, and None for what was removed."""
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    changed.update((k, None) for k in before if k not in after)
    return changed


def _own_changes(environment: FunctionEnvironment, changed: Mapping[Any, Any]) -> None:
    """Fold what the function changed into its variables (not the trace id: set each call)."""
    own = dict(environment.variables)
    own.update(changed)
    own.pop(environment.swap.encode(TRACE_ID), None)
    environment.variables = tuple(own.items())
    environment.made = None


class _Swap:
    """What both ways share: variables are kept encoded as ``os.environ`` stores them."""

    def __init__(self, encoded: bool) -> None:
        self.encoded = encoded  # bytes keys and values (POSIX), or str
        self.trace_key = self.encode(TRACE_ID)

    def encode(self, text: str) -> Any:
        return os.fsencode(text) if self.encoded else text

    def prepare(self, variables: Mapping[str, str | None]) -> tuple[tuple[Any, Any], ...]:
        if not self.encoded:
            return tuple(variables.items())
        return tuple((os.fsencode(k), None if v is None else os.fsencode(v))
                     for k, v in variables.items())


@dataclass
class _Made:
    """The function's environment over one outside environment, ready to swap in."""

    outside: dict[bytes, bytes]  # the caller's environment it was made over (a copy)
    inside: dict[bytes, bytes]  # os.environ's store during calls
    expected: dict[bytes, bytes]  # inside as made, to see what the function changed
    array: Any  # inside as a NULL-terminated char* array
    address: int
    tz_changed: bool


class _PointerSwap(_Swap):
    def __init__(self, ctypes: Any, environ: Any) -> None:
        super().__init__(encoded=True)
        self.ctypes = ctypes
        self.environ = environ  # libc's `environ`, as a c_void_p
        self.kept: dict[bytes, bytes] = {}
        self.retired: collections.deque[Any] = collections.deque(maxlen=_RETIRED_KEPT)
        self.caller_array: Any = None  # the caller's C environment, copied
        self.caller_address = 0
        # The objects themselves, should a test put something else at ``os.environ``.
        self.stores: tuple[Any, Any] = (os.environ, os.environb)

    def enter(self, environment: FunctionEnvironment, trace_id: str) -> Entered:
        outside = self.stores[0]._data
        made = environment.made
        if made is None or made.outside != outside:
            if made is not None:
                self.retired.append(made.array)
            made = environment.made = self._make(environment.variables, outside)
        made.inside[self.trace_key] = os.fsencode(trace_id)
        caller = self.environ.value
        if caller != self.caller_address:
            caller = self._copy_caller(caller)
        saved = outside, caller
        self._use(made.inside)
        self.environ.value = made.address
        return Entered(made.tz_changed, saved)

    def leave(self, environment: FunctionEnvironment, entered: Entered) -> None:
        made = environment.made
        outside, caller = entered.saved
        moved = self.environ.value != made.address  # libc's own array: a variable was added
        self._use(outside)
        self.environ.value = caller
        inside = made.inside
        inside.pop(self.trace_key, None)
        if moved or inside != made.expected:
            self.retired.append(made.array)
            _own_changes(environment, _changes(made.expected, inside))

    def _use(self, store: dict[bytes, bytes]) -> None:
        environ, environb = self.stores
        environ._data = environb._data = store

    def _make(self, variables: tuple[tuple[bytes, Any], ...], outside: dict[bytes, bytes]) -> _Made:
        inside = dict(outside)
        for key, value in variables:
            if value is None:
                inside.pop(key, None)
            else:
                inside[key] = value
        array = self._array(inside)
        return _Made(dict(outside), inside, dict(inside), array, self.ctypes.addressof(array),
                     tz_changed=outside.get(b"TZ") != inside.get(b"TZ"))

    def _copy_caller(self, address: int | None) -> int:
        """The C environment at ``address`` as an array of ours; its strings are libc's."""
        entries = []
        if address:
            pointers = self.ctypes.cast(address, self.ctypes.POINTER(self.ctypes.c_void_p))
            while pointers[len(entries)]:
                entries.append(pointers[len(entries)])
        if self.caller_array is not None:
            self.retired.append(self.caller_array)
        self.caller_array = (self.ctypes.c_void_p * (len(entries) + 1))(*entries)
        self.caller_address = self.ctypes.addressof(self.caller_array)
        return self.caller_address

    def _array(self, variables: dict[bytes, bytes]) -> Any:
        kept = self.kept
        strings = [kept.setdefault(entry, entry)
                   for entry in (k + b"=" + v for k, v in variables.items())]
        return (self.ctypes.c_char_p * (len(strings) + 1))(*strings)


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
    tz_changed: bool


class _VariableSwap(_Swap):
    """Set and restore variables in ``os.environ`` (and so the C environment) one by one.

    ``os.environ`` encodes every key and value on each access; on POSIX this works on its
    store with keys and values encoded once.
    """

    def __init__(self) -> None:
        data = getattr(os.environ, "_data", None)
        self.data: dict[Any, Any] | None = (
            data if os.name == "posix" and isinstance(data, dict) else None)
        super().__init__(encoded=self.data is not None)

    def enter(self, environment: FunctionEnvironment, trace_id: str) -> Entered:
        plan = environment.made = self._plan(environment.variables, environment.made)
        self._change(plan.deletes, plan.puts)
        saved_trace = self._set_python_only(self.trace_key, self.encode(trace_id))
        applied = dict(self.data) if self.data is not None else None
        return Entered(plan.tz_changed, (plan, saved_trace, applied))

    def leave(self, environment: FunctionEnvironment, entered: Entered) -> None:
        plan, saved_trace, applied = entered.saved
        data = self.data
        if applied is not None and data is not None and data != applied:
            changed = _changes(applied, data)
            _own_changes(environment, changed)
            # Back to the values set on the way in; the trace id, which the function set or
            # removed itself (in the C environment too), straight back to the caller's.
            self._restore([(k, saved_trace if k == self.trace_key else applied.get(k))
                           for k in changed])
        self._set_python_only(self.trace_key, saved_trace)
        self._change(plan.unsets, plan.resets)

    def _plan(self, variables: tuple[tuple[Any, Any], ...], previous: _Plan | None) -> _Plan:
        data = self.data
        if (previous is not None and previous.variables is variables and data is not None
                and previous.outside == data):
            return previous
        current: Mapping[Any, Any] = os.environ if data is None else data
        changed = [(k, v, current.get(k)) for k, v in variables if current.get(k) != v]
        return _Plan(
            variables, None if data is None else dict(data),
            puts=tuple((k, v) for k, v, _ in changed if v is not None),
            deletes=tuple(k for k, v, _ in changed if v is None),
            resets=tuple((k, old) for k, _, old in changed if old is not None),
            unsets=tuple(k for k, _, old in changed if old is None),
            tz_changed=any(k == self.encode("TZ") for k, _, _ in changed))

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
        store: Any = os.environ if self.data is None else self.data
        old = store.get(key)
        if value is None:
            store.pop(key, None)
        else:
            store[key] = value
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
                data[key] = old


def _pointer_swap() -> _PointerSwap | None:
    """The pointer swap, if this process's C library and ``os.environ`` allow it here."""
    if sys.platform != "linux":
        return None
    try:
        os.confstr("CS_GNU_LIBC_VERSION")  # glibc; others raise
        import ctypes

        libc = ctypes.CDLL(None)
        environ = ctypes.c_void_p.in_dll(libc, "environ")
        getenv = libc.getenv
    except (ValueError, OSError, AttributeError, ImportError):
        return None
    data = getattr(os.environ, "_data", None)
    environb = getattr(os, "environb", None)
    if not isinstance(data, dict) or getattr(environb, "_data", None) is not data:
        return None
    getenv.restype, getenv.argtypes = ctypes.c_char_p, [ctypes.c_char_p]
    probe = (ctypes.c_char_p * 2)(b"SAM_FASTAPI_ENVIRON_PROBE=1")
    saved = environ.value
    environ.value = ctypes.addressof(probe)
    try:
        seen = getenv(b"SAM_FASTAPI_ENVIRON_PROBE")
    finally:
        environ.value = saved
    if seen != b"1" or getenv(b"SAM_FASTAPI_ENVIRON_PROBE") is not None:
        return None
    return _PointerSwap(ctypes, environ)


def swap() -> _PointerSwap | _VariableSwap:
    """The way this process swaps environments, chosen on first use (ctypes is not free)."""
    global _SWAP
    if _SWAP is None:
        _SWAP = _pointer_swap() or _VariableSwap()
    return _SWAP


_SWAP: _PointerSwap | _VariableSwap | None = None
