"""sam_fastapi.paths: one answer for symlink loops on every Python (3.13 stopped raising)."""

import os
from pathlib import Path

from sam_fastapi import paths


def test_a_symlink_loop_resolves_to_none_and_is_inside_nothing(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for looping in ("loop", "a", "loop/below"):
        assert paths.resolved(tmp_path / looping) is None
        assert not paths.inside(tmp_path / looping, tmp_path)


def test_missing_paths_resolve_as_far_as_they_exist(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    real = (tmp_path / "real" / "not-yet").resolve()
    assert paths.resolved(tmp_path / "link" / "not-yet") == real
    assert paths.inside(tmp_path / "link" / "not-yet", tmp_path)


def test_a_symlink_out_is_not_inside(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "project" / "out").symlink_to(tmp_path / "elsewhere")
    assert not paths.inside(tmp_path / "project" / "out", tmp_path / "project")
    assert paths.inside(tmp_path / "project" / "out", tmp_path / "project", tmp_path / "elsewhere")


def _tricky_tree(root: Path) -> list[Path]:
    """Every kind of name a project may hold, and paths that reach them in odd ways."""
    project = root / "project"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "main.py").write_text("")
    (project / "elsewhere").mkdir()
    (root / "outside").mkdir()
    (root / "outside" / "secret.py").write_text("")
    os.mkfifo(project / "fifo")
    links = {
        "to_file": project / "src" / "app" / "main.py",
        "to_dir": project / "src",
        "out": root / "outside",
        "dangling": project / "nothing",
        "loop": project / "loop",
        "a": project / "b",
        "b": project / "a",
    }
    for name, target in links.items():
        (project / name).symlink_to(target)
    names = ["src", "src/app", "src/app/main.py", "src/app/missing.py", "fifo", "elsewhere",
             *links, "to_dir/app/main.py", "to_dir/app", "out/secret.py", "dangling/x",
             "loop/x", "src/app/main.py/below", "src/../src/app", "src/app/..", "missing/x"]
    return [project, *(project / name for name in names), Path("relative/path"), Path("/")]


def test_folders_answer_as_the_file_system_does(tmp_path: Path) -> None:
    candidates = _tricky_tree(tmp_path)
    project = tmp_path / "project"
    # A fresh view per order of questions: a name asked before its folder, and after.
    for order in (candidates, candidates[::-1]):
        folders = paths.Folders()
        for path in order:
            assert folders.resolved(path) == paths.resolved(path), path
            assert folders.is_dir(path) == path.is_dir(), path
            assert folders.is_file(path) == path.is_file(), path
            assert folders.inside(path, project) == paths.inside(path, project), path
            listed = set(os.listdir(path)) if path.is_dir() and paths.resolved(path) else set()
            assert set(folders.names(path)) == listed, path


def test_folders_list_each_folder_once(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    listed: list[str] = []
    scandir = os.scandir

    def counting(path):
        listed.append(os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    folders = paths.Folders()
    for _ in range(3):
        assert folders.is_file(tmp_path / "pkg" / "__init__.py")
        assert folders.is_dir(tmp_path / "pkg")
        assert folders.inside(tmp_path / "pkg" / "__init__.py", tmp_path)
    assert len(listed) == len(set(listed))
