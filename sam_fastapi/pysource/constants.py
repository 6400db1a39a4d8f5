"""Constant evaluation: the value of an expression when the source alone decides it."""

from __future__ import annotations

import ast

#: What ``constant`` returns when only running the code would tell.
NOT_CONSTANT = object()


def constant(node: ast.expr) -> object:
    """The literal value of ``node`` (strings, numbers, lists, tuples, dicts, sets, None), or
    ``NOT_CONSTANT``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_CONSTANT
