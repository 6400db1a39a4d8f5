"""The lint pipeline: template -> model -> checks (+ cfn-lint, + SAM transform) -> findings.

Also the built-in plugin that documents the rules the pipeline reports itself.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from sam_fastapi import __version__, hookimpl
from sam_fastapi.cache import Cache, digest
from sam_fastapi.cfn import CfnLintJob, CfnLintReport
from sam_fastapi.checks.base import Check, CheckContext
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding, Location, Rule, Severity, Violation
from sam_fastapi.paths import Folders
from sam_fastapi.plugins import registered_checks, registered_rules
from sam_fastapi.template.loader import TemplateError, decode_template, load_template
from sam_fastapi.template.model import Project, build_project, index_positions, plain

if TYPE_CHECKING:
    from sam_fastapi.child import WarmChildren
    from sam_fastapi.translate import TransformError, TranslationJob

CHECK_CRASHED = Rule(
    id="SF000",
    name="check-crashed",
    severity=Severity.ERROR,
    summary="A lint check raised an exception; the other checks still ran.",
    docs="""\
## What it does
Reports a check (built-in or from a plugin) that raised instead of returning its findings,
and cfn-lint itself crashing on the template. The message names the check and the exception;
the run goes on without it.

## Why is this bad?
The rule that crashed did not look at the project, so its problems may be hidden.

## Example
```
template.yaml:1:1: SF000 error check SF999 (my_plugin.MyCheck) crashed: KeyError: 'Properties'
```

## Use instead
Report the crash to the plugin's authors (the message names the check), or ignore the rule
with `--ignore` until it is fixed.
""",
)

TEMPLATE_UNREADABLE = Rule(
    id="SF001",
    name="template-unreadable",
    severity=Severity.ERROR,
    summary="The template is not valid YAML or JSON, or not a mapping.",
    docs="""\
## What it does
Reports a template that cannot be decoded: a YAML or JSON syntax error, a duplicate key, or a
document that is not a mapping of sections. The line is the one the parser stopped at.

## Why is this bad?
Nothing else can be checked, and `sam build` / `sam deploy` would stop at the same place.

## Example
```yaml
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: cast_service/
```

## Use instead
```yaml
    Properties: {CodeUri: cast_service/}
```
""",
)

TRANSFORM_FAILED = Rule(
    id="SF002",
    name="sam-transform-failed",
    severity=Severity.ERROR,
    summary="aws-sam-translator rejects the template; `sam deploy` would fail the same way.",
    docs="""\
## What it does
Runs the AWS::Serverless-2016-10-31 transform offline with aws-sam-translator and reports each
error it gives, at the resource it names.

## Why is this bad?
CloudFormation runs the same transform at deploy time; the stack would fail to create or
update with this message.

## Example
```yaml
Events:
  Movies:
    Type: Api
    Properties:
      RestApiId: !Ref MoviesApi       # MoviesApi defines no Auth.Authorizers
      Path: /movies/{proxy+}
      Method: ANY
      Auth: {Authorizer: MoviesAuthorizer}
```
```
Unable to set Authorizer [MoviesAuthorizer] on API method [any] for path [/movies/{proxy+}]
because the related API does not define any Authorizers.
```

## Use instead
Define the authorizer on the API (`Auth: {Authorizers: {MoviesAuthorizer: ...}}`), or drop
the event's `Auth`.
""",
)


NESTED_APPLICATION_UNFOLLOWED = Rule(
    id="SF104",
    name="nested-application-unfollowed",
    severity=Severity.ERROR,
    summary="A nested application's local Location is missing, unreadable, outside the "
            "project or nests a template into itself.",
    docs="""\
## What it does
Follows every `AWS::Serverless::Application` whose `Location` is a local template, as
`sam build` does, and lints that template too (its findings carry its own path). Reports a
`Location` that does not exist, is not a file, cannot be read, leads out of the project, or
leads back to a template that is already nesting it.

## Why is this bad?
`sam build` stops on a missing or unreadable nested template; a template that nests itself
never finishes building. Nothing in such a stack can be tested or served.

## Example
```yaml
OrdersApp:
  Type: AWS::Serverless::Application
  Properties:
    Location: order/template.yaml   # the folder is orders/
```

## Use instead
```yaml
    Location: orders/template.yaml
```
""",
)


#: Where the cfn-lint command reads its configuration (working and home folder).
CFN_LINT_CONFIG_FILES = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")


#: Seconds a check may run on one template before it is abandoned (SF000).
CHECK_TIME_LIMIT = 30.0


@hookimpl
def sam_fastapi_register_rules() -> list[Rule]:
    return [CHECK_CRASHED, TEMPLATE_UNREADABLE, TRANSFORM_FAILED, NESTED_APPLICATION_UNFOLLOWED]


@dataclass(frozen=True)
class LintResult:
    """What linting some templates found, with the rules it names and the projects read."""

    findings: list[Finding]
    rules: dict[str, Rule]
    templates: list[Path]
    notes: list[str] = field(default_factory=list)
    #: The projects read, nested stacks included (a template that could not be read has none).
    projects: list[Project] = field(default_factory=list)

    @classmethod
    def combined(cls, results: Sequence[LintResult]) -> LintResult:
        """One report of several runs (templates under different configurations)."""
        findings = sorted((f for r in results for f in r.findings), key=Finding.sort_key)
        return cls(findings, results[0].rules, [t for r in results for t in r.templates],
                   [note for r in results for note in r.notes],
                   [p for r in results for p in r.projects])

    def failed(self, level: Severity | None) -> bool:
        """Whether a finding reaches ``level``; with no level (``--fail-level none``) none does."""
        return level is not None and any(f.severity >= level for f in self.findings)


class Linter:
    """Runs every registered check and the two external analysers over templates."""

    def __init__(self, pm: pluggy.PluginManager, config: LintConfig, *,
                 check_time_limit: float = CHECK_TIME_LIMIT,
                 texts: Mapping[Path, bytes] | None = None,
                 children: WarmChildren | None = None) -> None:
        """``texts``: templates whose bytes were given rather than read from their path
        (``lint -`` reads one from standard input); the path still places the project.
        ``children``: the warm cfn-lint and translator children ``lint --watch`` keeps;
        without them each template gets children of its own."""
        self.config = config
        self.children = children
        self.texts: Mapping[Path, bytes] = texts or {}
        self.check_time_limit = check_time_limit
        self.checks: list[Check] = registered_checks(pm)
        self.rules: dict[str, Rule] = registered_rules(pm)
        self.cache = Cache("lint") if config.use_cache else None
        # Analyses whose rules are all deselected are not run at all (``--select SF``).
        self.runs_transform = config.is_selected(TRANSFORM_FAILED.id)
        self.runs_cfn_lint = not config.select or any(
            not prefix.upper().startswith("SF") for prefix in config.select
        )

    def lint(self, templates: Sequence[Path]) -> LintResult:
        findings: list[Finding] = []
        notes: list[str] = []
        projects: list[Project] = []
        # cfn-lint's rules join ours as they are reported, with cfn-lint's own metadata.
        rules = dict(self.rules)
        for template in templates:
            template_findings, note = self.lint_template(template, rules, projects)
            findings.extend(template_findings)
            if note:
                notes.append(note)
        findings.sort(key=Finding.sort_key)
        return LintResult(findings, rules, list(templates), notes, projects)

    def lint_template(self, path: Path, rules: dict[str, Rule], projects: list[Project]
                      ) -> tuple[list[Finding], str | None]:
        """Findings for one template and the local nested applications it reaches, and a note
        when there was nothing to check. The metadata of the cfn-lint rules reported is added
        to ``rules``, the projects read to ``projects``."""
        findings, project = self._lint_stack(path, None, rules)
        note = None
        if project is not None:
            projects.append(project)
            if not project.has_sam_resources:
                note = f"{path}: no SAM resources to check"
        if project is None or not project.applications:
            return findings, note
        # Only a template with nested applications needs the module that follows them.
        from sam_fastapi.template.stacks import nested_stacks

        stacks, problems = nested_stacks(project)
        for problem in problems:
            application = problem.application
            location = application.location_marker or problem.parent.locate(
                ("Resources", application.logical_id))
            findings += self._filter([self._finding(
                NESTED_APPLICATION_UNFOLLOWED,
                f"{problem.message}; point Location at the nested template",
                location, application.logical_id)], problem.parent)
        seen = set(findings)
        for stack in stacks:
            nested, nested_project = self._lint_stack(stack.project.template_path,
                                                      stack.overrides, rules)
            if nested_project is not None:
                projects.append(nested_project)
            findings += [f for f in nested if f not in seen]
            seen.update(nested)
        return findings, note

    def _lint_stack(self, path: Path, overrides: dict[str, str] | None,
                    rules: dict[str, Rule]) -> tuple[list[Finding], Project | None]:
        # The folders the model resolves its code folders in are those the checks then read.
        folders = Folders()
        loaded = self._load(path, overrides, folders)
        if isinstance(loaded, Finding):
            return self._filter([loaded], None), None
        project, pending = loaded
        # Our checks run here while cfn-lint and the transform run in their own processes.
        own = list(self._run_checks(project, folders)) if project.has_sam_resources else []
        report = pending.report()
        for rule in report.rules:
            rules.setdefault(rule.id, rule)
        return self._filter([*report.findings, *own], project), project

    # -- the expensive, cacheable part: decode, model, cfn-lint, transform ------------------

    def _load(self, path: Path, overrides: dict[str, str] | None,
              folders: Folders) -> Finding | tuple[Project, _External]:
        """The project, and the cfn-lint and transform findings (from the cache when unchanged).

        The template is read and the project model built from the file on every run, so
        our checks see what is on disk whatever the cache holds. The cache keeps only the
        external findings and cfn-lint's rules, which depend on the template's bytes (and
        cfn-lint's settings).
        """
        key = self._cache_key(path)
        cached = self._cached_report(key)
        text = self.texts.get(path)
        cfn_job: CfnLintJob | None = None
        transform_job: TranslationJob | None = None
        if cached is None:
            # Only a miss imports the translator's module (and, through the jobs, the child
            # machinery): a run the cache answers starts no process and needs none of it.
            from sam_fastapi.translate import TranslationJob

            if self.runs_cfn_lint:
                cfn_job = CfnLintJob(path, text, self.children)
            if self.runs_transform:
                transform_job = TranslationJob(self.children)
        try:
            template = load_template(path) if text is None else decode_template(text, str(path))
        except TemplateError as exc:
            for job in (cfn_job, transform_job):
                if job is not None:
                    job.cancel()
            return self._finding(TEMPLATE_UNREADABLE, exc.message, exc.location)
        positions = index_positions(template)
        snapshot = plain(template)
        project = build_project(snapshot, path, positions=positions,
                                parameter_overrides=overrides, folders=folders)
        if cached is not None:
            return project, _External(cached)
        if transform_job is not None:
            if project.has_sam_resources and _declares_sam_transform(template):
                transform_job.submit(snapshot)
            else:
                transform_job.cancel()
                transform_job = None

        def collect() -> CfnLintReport:
            cfn_lint = self._cfn_lint_report(path, cfn_job)
            findings = cfn_lint.findings + self._transform_findings(path, project, transform_job)
            report = CfnLintReport(findings, cfn_lint.rules)
            crashed = any(f.rule == CHECK_CRASHED.id for f in findings)
            if self.cache is not None and key is not None and not crashed:
                self.cache.put(key, report.to_json())
            return report

        return project, _External(collect)

    def _cached_report(self, key: str | None) -> CfnLintReport | None:
        """The stored external findings and cfn-lint rules for ``key``; None for a miss or a
        malformed entry (one written before rules were stored among them)."""
        if self.cache is None or key is None:
            return None
        try:
            return CfnLintReport.from_json(self.cache.get(key))
        except ValueError:
            return None

    def _cfn_lint_report(self, path: Path, job: CfnLintJob | None) -> CfnLintReport:
        if job is None:
            return CfnLintReport([], [])
        try:
            return job.result()
        except RuntimeError as exc:  # cfn-lint's own bugs on odd input, a killed process
            return CfnLintReport(
                [self._finding(CHECK_CRASHED, str(exc), Location(str(path)))], [])

    def _transform_findings(self, path: Path, project: Project,
                            job: TranslationJob | None) -> list[Finding]:
        if job is None:
            return []
        try:
            errors = job.result()
        except RuntimeError as exc:  # the translator's process died (killed, out of memory)
            return [self._finding(CHECK_CRASHED, str(exc), Location(str(path)))]
        return [
            self._finding(TRANSFORM_FAILED, error.message,
                          _transform_error_location(project, error), error.resource)
            for error in errors
        ]

    def _cache_key(self, path: Path) -> str | None:
        return cache_key(path, self.texts.get(path), cfn_lint=self.runs_cfn_lint,
                         transform=self.runs_transform)

    # -- our own checks -------------------------------------------------------------------

    def _run_checks(self, project: Project, folders: Folders) -> Iterable[Finding]:
        # One context per template: what a check computes for several rules is made once.
        ctx = CheckContext(self.config, folders=folders)
        for check in self.checks:
            rule = check.rule
            if not self.config.is_selected(rule.id):
                continue
            try:
                violations = _run_bounded(check, project, ctx, self.check_time_limit)
            except Exception as exc:
                name = f"{type(check).__module__}.{type(check).__qualname__}"
                yield self._finding(
                    CHECK_CRASHED,
                    f"check {rule.id} ({name}) crashed: {type(exc).__name__}: {exc}",
                    Location(str(project.template_path)),
                )
                continue
            for violation in violations:
                yield self._from_violation(rule, violation, project)

    def _from_violation(self, rule: Rule, violation: Violation, project: Project) -> Finding:
        location = violation.location or project.locate(violation.path)
        finding = self._finding(rule, violation.message, location, violation.resource)
        return finding if violation.severity is None else replace(finding,
                                                                  severity=violation.severity)

    def _finding(self, rule: Rule, message: str, location: Location,
                 resource: str | None = None) -> Finding:
        return Finding(rule.id, rule.name, rule.severity, message, location, resource)

    def _filter(self, findings: Iterable[Finding], project: Project | None) -> list[Finding]:
        """Apply select/ignore, per-rule severities and per-resource suppressions.

        Paths are shortened here, after the cache, for every finding alike: cfn-lint's name
        the template as ours do, and a cached finding follows the working folder of this run.
        """
        kept = []
        for finding in findings:
            if not self.config.is_selected(finding.rule):
                continue
            if project is not None and finding.resource and _suppressed(project, finding):
                continue
            location = replace(finding.location, file=shown_path(finding.location.file))
            severity = self.config.severity_of(finding.rule, finding.severity)
            kept.append(replace(finding, severity=severity, location=location))
        return kept


def cache_key(path: Path, text: bytes | None, *, cfn_lint: bool, transform: bool) -> str | None:
    """What the cfn-lint and transform findings of a template are stored under: its bytes
    (``text``, else read from ``path``), where it is, cfn-lint's configuration files, which of
    the two ran and the tools' versions. None when the template cannot be read."""
    if text is None:
        try:
            text = path.read_bytes()
        except OSError:
            return None
    extra = []
    for base in (Path.cwd(), Path.home()):
        extra.extend(_read(base / name) for name in CFN_LINT_CONFIG_FILES)
    return digest(
        __version__,
        f"cfn-lint={cfn_lint} transform={transform}",
        _version("cfn-lint"),
        _version("aws-sam-translator"),
        str(path),
        str(path.resolve()),
        text,
        *extra,
    )


def analysed(path: Path, text: bytes | None) -> bool:
    """Whether the cache holds cfn-lint's and the transform's findings for the template as it
    is now, both run (the default selection)."""
    key = cache_key(path, text, cfn_lint=True, transform=True)
    return key is not None and Cache("lint").get(key) is not None


class _External:
    """cfn-lint's and the transform's findings, with cfn-lint's rules: known already, or
    collected when needed."""

    def __init__(self, report: CfnLintReport | Callable[[], CfnLintReport]) -> None:
        self._report = report

    def report(self) -> CfnLintReport:
        if callable(self._report):
            self._report = self._report()
        return self._report


class CheckTimedOut(Exception):
    pass


def _run_bounded(check: Check, project: Project, ctx: CheckContext,
                 limit: float) -> list[Violation]:
    """Run a check in a daemon thread: a check that hangs is abandoned at ``limit`` seconds.

    The thread cannot be stopped, only left behind; being a daemon, it does not keep the
    process alive. Whatever the check returns must be ``Violation`` objects.
    """
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(list(check.run(project, ctx)))
        except BaseException as exc:  # reported by the caller as SF000
            outcome.append(exc)

    thread = threading.Thread(target=target, name=f"check-{check.rule.id}", daemon=True)
    thread.start()
    thread.join(limit)
    if not outcome:
        raise CheckTimedOut(f"did not finish within {limit:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    violations = outcome[0]
    for item in violations:
        if not isinstance(item, Violation):
            raise TypeError(f"returned {type(item).__name__} {item!r:.60} instead of Violation")
    return violations


def shown_path(file: str) -> str:
    """Files below the working folder are shown relative to it, as the template path is."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return file


_GLOBALS_PROPERTY = re.compile(r"'(\w+)' is not a supported property of '(\w+)'")


def _transform_error_location(project: Project, error: TransformError) -> Location:
    """The resource the translator names; for a Globals error, the offending Globals key."""
    if error.resource:
        return project.locate(("Resources", error.resource))
    if error.message.startswith("'Globals' section is invalid"):
        found = _GLOBALS_PROPERTY.search(error.message)
        return project.locate(("Globals", found[2], found[1]) if found else ("Globals",))
    return project.locate(("Transform",))


def _suppressed(project: Project, finding: Finding) -> bool:
    """``Metadata: sam-fastapi: ignore: [SF101]`` on the resource silences those rules."""
    settings = project.resource_metadata.get(finding.resource or "", {}).get("sam-fastapi")
    if not isinstance(settings, dict):
        return False
    ignored = settings.get("ignore")
    if not isinstance(ignored, list):
        return False
    return any(isinstance(p, str) and finding.rule.startswith(p) for p in ignored)


def _declares_sam_transform(template: dict[str, Any]) -> bool:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return "AWS::Serverless-2016-10-31" in names


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@functools.cache
def _version(distribution: str) -> str:
    """An installed distribution's version, looked up once per process (each lookup scans the
    environment's distributions; a watch's children keep the version they started with)."""
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


#: The template names a folder is searched for, nearest first.
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


def is_project_file(path: Path) -> bool:
    """A handler, a requirements file or a Makefile: a file a template's functions are built
    from, which stands for that template on the command line (pre-commit passes them)."""
    return path.suffix == ".py" or path.name == "Makefile" or (
        path.name.startswith("requirements") and path.suffix == ".txt")


def template_of(path: Path) -> Path | None:
    """The nearest template at or above ``path``'s folder, not above the project's root."""
    from sam_fastapi.template.model import PROJECT_MARKERS

    for folder in path.absolute().parents:
        for name in TEMPLATE_NAMES:
            if (folder / name).is_file():
                return folder / name
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return None
    return None


def collect_templates(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Templates named on the command line; a folder stands for the templates in it, and a
    handler, requirements file or Makefile for the nearest template above it (a file no
    template deploys is left out).

    Returns the templates and the problems (a missing path, a folder with no template).
    """
    templates: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_file() and is_project_file(path):
            template = template_of(path)
            if template is not None and template.absolute() not in {
                    t.absolute() for t in templates}:
                templates.append(template)
        elif path.is_dir():
            found = sorted(
                p for pattern in ("template.yaml", "template.yml", "template.json",
                                  "*/template.yaml", "*/template.yml", "*/template.json")
                for p in path.glob(pattern)
            )
            if not found:
                problems.append(
                    f"{path}: no template.yaml, template.yml or template.json in this folder"
                )
            templates.extend(found)
        elif path.exists():
            templates.append(path)
        else:
            problems.append(f"{path}: no such file")
    return templates, problems


