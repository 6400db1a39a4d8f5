"""sam_fastapi.paths: one answer for symlink loops on every Python (3.13 stopped raising)."""

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
