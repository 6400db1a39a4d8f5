"""The one plugin manager: built-in plugins first, then the ``sam_fastapi`` entry points."""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from sam_fastapi import hookspecs

if TYPE_CHECKING:
    import importlib.metadata

    from sam_fastapi.checks.base import Check
    from sam_fastapi.findings import Rule

#: The lint pipeline's own rules and the built-in checks. They are registered the first time
#: checks or rules are asked for (``registered_checks``), so a command that never lints
#: (``layer build`` in a Makefile, ``serve``) starts without importing them.
CHECK_PLUGINS: tuple[str, ...] = (
    "sam_fastapi.lint",
    "sam_fastapi.checks.project.requirements_missing",
    "sam_fastapi.checks.project.code_folder_missing",
    "sam_fastapi.checks.project.path_outside_project",
    "sam_fastapi.checks.makefile.makefile_missing",
    "sam_fastapi.checks.makefile.target_missing",
    "sam_fastapi.checks.makefile.recipe_not_tab",
    "sam_fastapi.checks.handler.module_missing",
    "sam_fastapi.checks.handler.attribute_missing",
    "sam_fastapi.checks.handler.not_mangum",
    "sam_fastapi.checks.handler.per_invocation",
    "sam_fastapi.checks.handler.syntax_error",
    "sam_fastapi.checks.handler.relative_import",
    "sam_fastapi.checks.handler.name_undefined",
    "sam_fastapi.checks.handler.module_not_read",
    "sam_fastapi.checks.handler.web_adapter_unread",
    "sam_fastapi.checks.routes.routes_unresolved",
    "sam_fastapi.checks.routes.route_unreachable",
    "sam_fastapi.checks.routes.event_unserved",
    "sam_fastapi.checks.routes.proxy_without_root",
    "sam_fastapi.checks.routes.stage_base_path",
    "sam_fastapi.checks.routes.import_failed",
    "sam_fastapi.checks.makefile.layer_not_python_dir",
    "sam_fastapi.checks.deps.dependency_missing",
    "sam_fastapi.checks.platform.native_binary",
    "sam_fastapi.checks.platform.layer_incompatible",
    "sam_fastapi.checks.platform.package_too_large",
)

#: Output formats and commands, registered with every plugin manager. A command module imports
#: what its command needs when the command runs, not when the command line is built.
COMMAND_PLUGINS: tuple[str, ...] = (
    "sam_fastapi.formatters.text",
    "sam_fastapi.formatters.json",
    "sam_fastapi.formatters.sarif",
    "sam_fastapi.formatters.github",
    "sam_fastapi.commands.lint",
    "sam_fastapi.commands.rules",
    "sam_fastapi.commands.layer",
    "sam_fastapi.commands.init",
    "sam_fastapi.commands.routes",
    "sam_fastapi.commands.split",
    "sam_fastapi.commands.serve",
    "sam_fastapi.commands.completion",
)

#: Built-in features, registered through the same hooks as third-party plugins.
DEFAULT_PLUGINS: tuple[str, ...] = CHECK_PLUGINS + COMMAND_PLUGINS

ENTRY_POINT_GROUP = "sam_fastapi"


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, reading a module plugin's namespace directly.

    pluggy looks each name of a plugin up through ``inspect.getattr_static`` (so that it never
    runs a descriptor); a module has dozens of names, its imports included, and the built-ins
    are 39 modules: 50 M instructions, 3% of an unchanged ``lint`` re-run. What that lookup
    finds for a module is the value in its namespace: a value that is no routine is no hook,
    and a function's options are the ones ``hookimpl`` set on it. pluggy still decides every
    other routine and any name the namespace does not hold.
    """

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, types.ModuleType):
            value = plugin.__dict__.get(name, _ABSENT)
            if value is not _ABSENT and not isinstance(value, _ROUTINES):
                return None
            if isinstance(value, types.FunctionType):
                # A module's function is what pluggy's lookup finds; its marker is read the
                # same way: the options ``hookimpl`` set on it, or nothing.
                opts = getattr(value, f"{self.project_name}_impl", None)
                return opts if isinstance(opts, dict) else None
        return super().parse_hookimpl_opts(plugin, name)


_ABSENT = object()
_ROUTINES = (types.FunctionType, types.MethodType, staticmethod, classmethod)


class PluginLoadError(Exception):
    """A third-party plugin could not be loaded; the message names its distribution."""


def get_plugin_manager(*, entry_points: bool = True,
                       builtins: tuple[str, ...] = COMMAND_PLUGINS) -> pluggy.PluginManager:
    """A plugin manager with the ``builtins`` (all commands and formats unless narrowed) and,
    unless disabled, the installed plugins.

    The built-in checks join when first asked for (``register_checks``).
    """
    pm = _PluginManager("sam_fastapi")
    pm.add_hookspecs(hookspecs)
    _register(pm, builtins)
    if entry_points:
        _load_entry_points(pm)
    return pm


def register_checks(pm: pluggy.PluginManager) -> None:
    """Register the built-in checks and the pipeline's rules, once."""
    _register(pm, CHECK_PLUGINS)


def _register(pm: pluggy.PluginManager, names: tuple[str, ...]) -> None:
    for name in names:
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(name), name=name)


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    import importlib.metadata  # reads every installed distribution: only when plugins are wanted

    if not _any_declares_the_group(importlib.metadata.distributions()):
        return
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(entry_point.name) is not None:
            continue
        distribution = entry_point.dist.name if entry_point.dist else "unknown distribution"
        try:
            plugin = entry_point.load()
            pm.register(plugin, name=entry_point.name)
            _check_registrations(pm, entry_point.name)
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {entry_point.name!r} from {distribution} failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc


def _any_declares_the_group(distributions: Iterable[importlib.metadata.Distribution]) -> bool:
    """Whether an installed distribution's ``entry_points.txt`` may declare the plugin group.

    Most environments have no plugin: this answers that from each file's text, where
    ``entry_points()`` parses every entry point of every distribution (console scripts,
    pytest plugins...) to select none. A file that declares the group holds its header.
    """
    header = f"[{ENTRY_POINT_GROUP}]"
    for dist in distributions:
        try:
            text = dist.read_text("entry_points.txt")
        except (OSError, ValueError):  # unreadable, not UTF-8: entry_points() decides, as before
            return True
        if text is not None and header in text:
            return True
    return False


#: Hooks that only return what a plugin adds. Calling a third-party plugin's once at load
#: time names a broken plugin and its distribution, instead of a traceback mid-run.
_REGISTRATION_HOOKS = (
    "sam_fastapi_register_checks",
    "sam_fastapi_register_rules",
    "sam_fastapi_register_formatters",
)


def _check_registrations(pm: pluggy.PluginManager, name: str) -> None:
    from sam_fastapi.findings import Rule

    for hook_name in _REGISTRATION_HOOKS:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name != name:
                continue
            result = impl.function()
            if not isinstance(result, list | tuple):
                raise TypeError(f"{hook_name} returned {type(result).__name__}, not a list")
            if hook_name == "sam_fastapi_register_checks":
                for check in result:
                    if not isinstance(getattr(check, "rule", None), Rule) or not callable(
                        getattr(check, "run", None)
                    ):
                        raise TypeError(f"{hook_name} returned {check!r}, which has no "
                                        "Rule in .rule and no .run(project)")


def registered_checks(pm: pluggy.PluginManager) -> list[Check]:
    """Every check of every plugin, in registration order."""
    register_checks(pm)
    return [check for group in pm.hook.sam_fastapi_register_checks() for check in group]


def registered_rules(pm: pluggy.PluginManager) -> dict[str, Rule]:
    """Every rule, by id: the pipeline's own (SF000-SF002) and each check's."""
    register_checks(pm)
    rules = {rule.id: rule for group in pm.hook.sam_fastapi_register_rules() for rule in group}
    rules.update((check.rule.id, check.rule) for check in registered_checks(pm))
    return dict(sorted(rules.items()))
