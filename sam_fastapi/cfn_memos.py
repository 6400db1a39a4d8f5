"""Memos of pure computations cfn-lint repeats for every resource of a template.

Only the cfn-lint child process (``python -m sam_fastapi.cfn``) applies them. Each returns
exactly what cfn-lint would compute, and the parity tests (tests/test_cfn_parity.py) compare
the findings, messages included, with the ``cfn-lint`` command's. A memo whose target a cfn-lint
release renamed or rewrote is left out, and cfn-lint then runs as it is.

Where the time went at 100 SAM functions (cfn-lint 1.58, CPU seconds of the run after the
imports): 2.6 s with the first two memos, 1.3-1.6 s with all of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any


def remember_repeated_work() -> list[str]:
    """Apply every memo whose target the installed cfn-lint has; returns their names."""
    memos = (
        ("schema lookups", _share_schema_lookups),
        ("suggestions", _remember_suggestions),
        ("dataclass fields", _remember_dataclass_fields),
        ("validator classes", _share_validator_classes),
        ("subschema indexes", _share_subschema_indexes),
        ("anyOf branches", _try_the_last_valid_branch_first),
        ("rule schemas on first use", _load_rule_schemas_on_first_use),
    )
    return [name for name, apply in memos if apply()]


def _share_schema_lookups() -> bool:
    """Every schema resolver shares one memo of ``$ref`` fragment lookups.

    cfn-lint makes a resolver per resource it validates, and each resolver looks up every
    ``$ref`` it meets by walking the whole resource schema for an ``id`` naming the fragment;
    its own cache lives and dies with the resolver. The schemas are read-only while rules run,
    so the answer for a (schema, fragment) pair never changes: the memo returns the very object
    the walk would find.
    """
    try:
        from cfnlint.schema.resolver._resolver import RefResolver
    except ImportError:
        return False
    lookup = getattr(RefResolver, "resolve_fragment", None)
    if lookup is None or getattr(lookup, "shared", False):
        return lookup is not None
    found: dict[tuple[int, str], tuple[Any, Any]] = {}

    def resolve_fragment(self: Any, document: Any, fragment: str) -> Any:
        key = (id(document), fragment)
        if key not in found:
            # The document is kept with its answer, so its id is never reused by another.
            found[key] = (document, lookup(self, document, fragment))
        return found[key][1]

    resolve_fragment.shared = True  # type: ignore[attr-defined]
    RefResolver.resolve_fragment = resolve_fragment  # type: ignore[method-assign]
    return True


def _share_subschema_indexes() -> bool:
    """Every resolver of one schema shares its index of ``$id``/``$anchor`` subschemas.

    Each resolver builds the index on its first ``$ref`` by walking the whole schema (179
    walks of the 90 kB SAM function schema at 100 functions). The index is a function of the
    schema alone, which is read-only while rules run.
    """
    try:
        from cfnlint.schema.resolver._resolver import RefResolver
    except ImportError:
        return False
    build = getattr(RefResolver, "_get_subschemas_cache", None)
    if build is None or getattr(build, "shared", False):
        return build is not None
    indexes: dict[int, tuple[Any, Any]] = {}

    def get_subschemas_cache(self: Any) -> Any:
        key = id(self.referrer)
        if key not in indexes:
            indexes[key] = (self.referrer, build(self))  # the schema keeps its id its own
        return indexes[key][1]

    get_subschemas_cache.shared = True  # type: ignore[attr-defined]
    RefResolver._get_subschemas_cache = get_subschemas_cache  # type: ignore[method-assign]
    return True


def _remember_suggestions() -> bool:
    """"Did you mean ...?" similarity is computed once per (property, schema key) pair.

    cfn-lint's ``additionalProperties`` compares every unexpected property with every allowed
    one through ``difflib.SequenceMatcher(a=..., b=...).ratio()``, also inside the ``anyOf``
    branches of each SAM event it tries and discards: the same pairs, thousands of times.
    """
    try:
        from cfnlint.jsonschema import _keywords
    except ImportError:
        return False
    matcher = getattr(_keywords, "SequenceMatcher", None)
    if matcher is _RememberedMatcher:
        return True
    if matcher is not difflib.SequenceMatcher:
        return False
    _keywords.SequenceMatcher = _RememberedMatcher  # type: ignore[attr-defined]
    return True


class _RememberedMatcher:
    """``difflib.SequenceMatcher(a=..., b=...)`` for strings, with a memo of ``ratio()``."""

    def __init__(self, isjunk: None = None, a: str = "", b: str = "") -> None:
        self.a, self.b = a, b

    def ratio(self) -> float:
        return _ratio(self.a, self.b)


@functools.lru_cache(maxsize=65536)
def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(a=a, b=b).ratio()


#: The cfn-lint modules whose ``evolve`` methods call ``dataclasses.fields`` on every call
#: (150,000 calls at 100 functions).
_FIELDS_USERS = ("cfnlint.context.context", "cfnlint.jsonschema._filter",
                 "cfnlint.jsonschema.validators")


def _remember_dataclass_fields() -> bool:
    """``dataclasses.fields`` is looked up once per class in the modules that call it most.

    A dataclass's fields are fixed when its class is made, and ``fields`` returns a tuple.
    """
    import importlib

    applied = False
    for name in _FIELDS_USERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        current = getattr(module, "fields", None)
        if current is _fields:
            applied = True
        elif current is dataclasses.fields:
            module.fields = _fields  # type: ignore[attr-defined]
            applied = True
    return applied


_FIELDS: dict[type, tuple[dataclasses.Field[Any], ...]] = {}


def _fields(class_or_instance: Any) -> tuple[dataclasses.Field[Any], ...]:
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = dataclasses.fields(cls)
    return found


def _share_validator_classes() -> bool:
    """Validators extended with the same keywords share one class.

    Each rule that validates a resource extends its validator with its own keywords, and
    cfn-lint's ``create`` makes a new dataclass for each (600 at 100 functions, 8 different).
    The class is a function of the keyword functions, the function filter's settings and the
    resolvers; none of them is changed after it is made.
    """
    try:
        from cfnlint.jsonschema import validators
    except ImportError:
        return False
    create = getattr(validators, "create", None)
    if create is None or getattr(create, "shared", False):
        return create is not None
    parameters = list(inspect.signature(create).parameters)
    if parameters != ["validators", "function_filter", "fn_resolvers"]:
        return False
    classes: dict[Any, Any] = {}

    def shared_create(validators: Any = None, function_filter: Any = None,
                      fn_resolvers: Any = None) -> Any:
        key = _class_key(validators, function_filter, fn_resolvers)
        if key is None:
            return create(validators, function_filter, fn_resolvers)
        if key not in classes:
            classes[key] = create(validators, function_filter, fn_resolvers)
        return classes[key]

    shared_create.shared = True  # type: ignore[attr-defined]
    validators.create = shared_create
    return True


def _class_key(validators: Any, function_filter: Any, fn_resolvers: Any) -> Any:
    """What a validator class is made of, or None when some part cannot be compared."""
    try:
        if function_filter is None:
            settings = None
        else:
            settings = (type(function_filter), *(
                (field.name, _frozen(getattr(function_filter, field.name)))
                for field in dataclasses.fields(function_filter)))
        key = (frozenset((validators or {}).items()), frozenset((fn_resolvers or {}).items()),
               settings)
        hash(key)
    except (TypeError, AttributeError):
        return None
    return key


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


#: The source of cfn-lint's ``anyOf`` keyword the short-cut was proven against (1.58).
_ANY_OF_SOURCE = "93ab571500dad24fbe4a7d291c726ea741559c015cd09e584adea03df465d771"


def _try_the_last_valid_branch_first() -> bool:
    """``anyOf`` tries first the branch that was valid last time, and stops at a verdict.

    cfn-lint's ``anyOf`` validates the branches in order and stops at the first valid one;
    when none is valid it reports "Cannot determine" if a branch was undecidable (an
    intrinsic function), else every branch's errors. Every SAM event goes through an ``anyOf``
    of 19 event types, ``Api`` the 7th and ``HttpApi`` the 16th, and an event on ``!Ref Api``
    is undecidable in its own branch, so cfn-lint validates all 19 in full for every event.

    Which branch is valid, and whether one is undecidable, does not depend on the order
    (validating a branch changes nothing), so the short-cut tries the last valid branch of the
    same ``anyOf`` first and reads each branch only up to its first error. Its answer is the
    original's: nothing when a branch is valid; the same "Cannot determine" error when none is
    valid and one is undecidable; and otherwise it hands over to cfn-lint's ``anyOf``, which
    reports the errors exactly as it would have (a second pass only for an invalid template).
    """
    try:
        from cfnlint.jsonschema import _keywords, validators
        from cfnlint.jsonschema.exceptions import ValidationError
    except ImportError:
        return False
    original = getattr(_keywords, "anyOf", None)
    if original is None:
        return False
    if getattr(original, "shortcut", False):
        return True
    try:
        source = inspect.getsource(original)
    except (OSError, TypeError):
        return False
    if hashlib.sha256(source.encode()).hexdigest() != _ANY_OF_SOURCE:
        return False
    shortcut = _any_of_shortcut(original, ValidationError)
    tables = [validators._standard_validators]
    for cls in (validators.CfnTemplateValidator, validators.StandardValidator):
        # The keyword table each import-time validator class was made with.
        tables += [field.default_factory() for field in dataclasses.fields(cls)
                   if field.name == "validators"
                   and field.default_factory is not dataclasses.MISSING]
    for table in tables:
        if table.get("anyOf") is original:
            table["anyOf"] = shortcut
    _keywords.anyOf = shortcut
    return True


_VALID, _UNDECIDABLE, _INVALID = "valid", "undecidable", "invalid"
#: Some rules build an ``anyOf`` per value they check: the memo stops growing here.
_REMEMBERED_ANY_OFS = 4096


def _any_of_shortcut(original: Callable[..., Any], error: type) -> Callable[..., Any]:
    last_valid: dict[int, tuple[Any, int]] = {}

    def any_of_keyword(validator: Any, any_of: Any, instance: Any,
                       schema: Any) -> Iterator[Any]:
        # The same validator cfn-lint's anyOf validates its branches with.
        branches = validator.evolve(
            function_filter=validator.function_filter.evolve(add_cfn_lint_keyword=False),
            context=validator.context.evolve(unresolvable_function_mode=True),
        )

        def verdict(index: int) -> str:
            with contextlib.closing(branches.descend(instance, any_of[index],
                                                     schema_path=index)) as errors:
                for err in errors:
                    if err.rule is not None and not err.rule.id.startswith("E"):
                        continue  # warnings do not make a branch invalid
                    return _UNDECIDABLE if getattr(err, "unknown", False) else _INVALID
            return _VALID

        order = list(range(len(any_of)))
        remembered = last_valid.get(id(any_of))
        if remembered is not None and remembered[1] < len(order):
            order.insert(0, order.pop(remembered[1]))
        undecidable = False
        for index in order:
            found = verdict(index)
            if found == _VALID:
                if len(last_valid) < _REMEMBERED_ANY_OFS:
                    # The schema is kept with the index, so its id is never reused by another.
                    last_valid[id(any_of)] = (any_of, index)
                return
            undecidable = undecidable or found == _UNDECIDABLE
        if undecidable:
            yield error(f"Cannot determine anyOf for {instance!r}", unknown=True)
            return
        yield from original(validator, any_of, instance, schema)

    any_of_keyword.shortcut = True  # type: ignore[attr-defined]
    return any_of_keyword


def _load_rule_schemas_on_first_use() -> bool:
    """A rule's own JSON schema is read when the rule first validates something.

    About 120 of cfn-lint's rules read a schema of their own when they are made (0.3 s of
    JSON for every run, RDS instance classes the largest), whether or not the template has a
    resource they look at. The file is read-only data, so reading it on first use gives the
    rule the same schema. The rules read it through ``self._schema``.
    """
    import importlib

    try:
        from cfnlint import helpers

        # The module, not the class the package exports under the same name.
        module = importlib.import_module("cfnlint.rules.jsonschema.CfnLintJsonSchema")
    except ImportError:
        return False
    rule = getattr(module, "CfnLintJsonSchema", None)
    if rule is None:
        return False
    if isinstance(rule.__dict__.get("_schema"), _SchemaOnFirstUse):
        return True
    if getattr(module, "load_resource", None) is not helpers.load_resource or (
            "_schema" in rule.__dict__):
        return False
    module.load_resource = _SchemaFile  # type: ignore[attr-defined]
    rule._schema = _SchemaOnFirstUse(helpers.load_resource)
    return True


class _SchemaFile:
    """What ``load_resource(module, filename=...)`` would read, not read yet."""

    def __init__(self, package: Any, filename: str = "us-east-1.json") -> None:
        self.package, self.filename = package, filename


class _SchemaOnFirstUse:
    """``_schema`` of cfn-lint's schema rules: the file's schema, read on first access."""

    def __init__(self, load: Callable[..., Any]) -> None:
        self._load = load

    def __get__(self, rule: Any, owner: type | None = None) -> Any:
        if rule is None:
            return self
        value = rule.__dict__.get("_schema_value", {})
        if isinstance(value, _SchemaFile):
            value = rule.__dict__["_schema_value"] = self._load(value.package,
                                                                 filename=value.filename)
        return value

    def __set__(self, rule: Any, value: Any) -> None:
        rule.__dict__["_schema_value"] = value
