"""Writing generated files: refusal of a non-empty folder, and no file of the user's replaced."""

from __future__ import annotations

import pytest

from sam_fastapi.scaffold.files import MANIFEST, ScaffoldError, write_project


def test_writes_into_a_new_folder(tmp_path):
    root = tmp_path / "new"
    result = write_project(root, {"a.txt": "a\n", "sub/b.txt": "b\n"})
    assert result.written == ["a.txt", "sub/b.txt"]
    assert (root / "sub" / "b.txt").read_text() == "b\n"
    assert (root / MANIFEST).is_file()


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="is not empty; use --force"):
        write_project(tmp_path, {"a.txt": "a"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_refuses_a_file_in_place_of_the_folder(tmp_path):
    (tmp_path / "x").write_text("")
    with pytest.raises(ScaffoldError, match="is not a folder"):
        write_project(tmp_path / "x", {"a.txt": "a"})


def test_force_never_replaces_the_users_files(tmp_path):
    (tmp_path / "a.txt").write_text("mine")
    result = write_project(tmp_path, {"a.txt": "generated", "b.txt": "b"}, force=True)
    assert result.kept == ["a.txt"]
    assert result.written == ["b.txt"]
    assert (tmp_path / "a.txt").read_text() == "mine"


def test_force_replaces_its_own_unchanged_files_but_not_edited_ones(tmp_path):
    write_project(tmp_path, {"a.txt": "v1", "b.txt": "v1"})
    (tmp_path / "b.txt").write_text("edited by the user")
    result = write_project(tmp_path, {"a.txt": "v2", "b.txt": "v2"}, force=True)
    assert result.written == ["a.txt"]
    assert result.kept == ["b.txt"]
    assert (tmp_path / "a.txt").read_text() == "v2"
    assert (tmp_path / "b.txt").read_text() == "edited by the user"


def test_asks_before_replacing_a_users_file(tmp_path):
    (tmp_path / "a.txt").write_text("mine")
    (tmp_path / "b.txt").write_text("mine")
    asked = []

    def confirm(name):
        asked.append(name)
        return name == "a.txt"

    result = write_project(tmp_path, {"a.txt": "new", "b.txt": "new"}, force=True,
                           confirm=confirm)
    assert asked == ["a.txt", "b.txt"]
    assert (tmp_path / "a.txt").read_text() == "new"
    assert (tmp_path / "b.txt").read_text() == "mine"
    assert result.kept == ["b.txt"]


def test_identical_files_are_left_alone(tmp_path):
    (tmp_path / "a.txt").write_text("same")
    result = write_project(tmp_path, {"a.txt": "same"}, force=True)
    assert result.unchanged == ["a.txt"]
    assert result.written == []


def test_refuses_paths_outside_the_folder(tmp_path):
    with pytest.raises(ScaffoldError, match="outside"):
        write_project(tmp_path / "p", {"../escape.txt": "x"})
    assert not (tmp_path / "escape.txt").exists()
