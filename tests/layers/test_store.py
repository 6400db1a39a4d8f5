import os

import pytest

from sam_fastapi.cache import digest
from sam_fastapi.layers.store import TreeStore, parse_size


def _put(store: TreeStore, name: str, size: int) -> str:
    key = digest(name)
    with store.writing(key) as tree:
        (tree / "pkg").mkdir()
        (tree / "pkg" / "data.bin").write_bytes(b"x" * size)
    return key


def _age(store: TreeStore, key: str, seconds_ago: float) -> None:
    entry = store.folder / key
    then = entry.stat().st_mtime - seconds_ago
    os.utime(entry, (then, then))


def test_a_stored_tree_is_restored_whole(tmp_path):
    store = TreeStore(tmp_path / "cache")
    key = _put(store, "a", 10)
    dest = tmp_path / "out" / "python"

    assert store.restore(key, dest)
    assert (dest / "pkg" / "data.bin").read_bytes() == b"x" * 10
    assert not store.restore(digest("other"), tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.skipif(os.name != "posix", reason="entries are linked on POSIX only")
def test_restored_files_are_read_only_links_to_the_cache(tmp_path):
    store = TreeStore(tmp_path / "cache")
    key = _put(store, "a", 10)
    dest = tmp_path / "out"

    store.restore(key, dest)

    restored = (dest / "pkg" / "data.bin").stat()
    cached = (store.folder / key / "tree" / "pkg" / "data.bin").stat()
    assert restored.st_ino == cached.st_ino
    assert restored.st_mode & 0o222 == 0
    (dest / "pkg" / "data.bin").unlink()  # deleting a restored file leaves the cache whole
    assert (store.folder / key / "tree" / "pkg" / "data.bin").read_bytes() == b"x" * 10


def test_a_failed_build_leaves_no_entry(tmp_path):
    store = TreeStore(tmp_path / "cache")
    key = digest("broken")

    with pytest.raises(RuntimeError), store.writing(key) as tree:
        (tree / "half.py").write_text("")
        raise RuntimeError("pip failed")

    assert store.keys() == set()
    assert list((store.folder / "tmp").iterdir()) == []


def test_over_the_bound_the_least_recently_used_entries_go(tmp_path):
    store = TreeStore(tmp_path / "cache", max_bytes=250)
    old, used = _put(store, "old", 100), _put(store, "used", 100)
    _age(store, old, 60)
    _age(store, used, 120)
    store.restore(used, tmp_path / "out")  # using an entry makes it recent

    newest = _put(store, "newest", 100)

    assert store.keys() == {used, newest}
    assert store.total_bytes() == 200


def test_the_newest_entry_stays_even_when_it_alone_passes_the_bound(tmp_path):
    store = TreeStore(tmp_path / "cache", max_bytes=50)
    _put(store, "first", 10)

    big = _put(store, "big", 100)

    assert store.keys() == {big}


@pytest.mark.parametrize(("text", "size"), [
    ("0", 0), ("1024", 1024), ("10k", 10240), ("500M", 500 * 1024**2), ("2G", 2 * 1024**3),
    ("1.5GB", 3 * 1024**3 // 2),
])
def test_sizes_read_as_people_write_them(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1G", "2 gallons"])
def test_a_bad_size_is_refused_with_examples(text):
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(text)
