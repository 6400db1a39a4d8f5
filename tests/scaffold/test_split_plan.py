"""Planning a split from a monolith's description: groups, their API paths and the notes."""

from __future__ import annotations

import pytest

from sam_fastapi.scaffold.split import SplitError, format_plan, make_plan


def _route(path: str, router: str | None = None, *, methods=("GET",), state=(), kind="api",
           name=None) -> dict:
    return {"kind": kind, "path": path, "methods": list(methods), "router": router,
            "name": name or path.strip("/").replace("/", "_") or "index", "state": list(state),
            "samples": {m: {"path": path, "query": [], "headers": []} for m in methods}}


def _app(*routes: dict, lifespan: str | None = None) -> dict:
    return {"package": "shop", "routes": list(routes), "docs": [], "lifespan": lifespan}


def test_events_only_where_the_group_has_routes():
    plan = make_plan("shop.main:app", _app(
        _route("/items/{item_id}", "shop.items.router"),
        _route("/users", "shop.users.router"),
        _route("/carts", "shop.carts.router"), _route("/carts/{cart_id}", "shop.carts.router"),
    ))
    paths = {g.name: g.event_paths for g in plan.groups}
    assert paths == {"items": ("/items/{proxy+}",), "users": ("/users",),
                     "carts": ("/carts", "/carts/{proxy+}")}


def test_routes_without_a_shared_prefix_get_an_event_each():
    plan = make_plan("shop.main:app", _app(
        _route("/"), _route("/health"), _route("/files/{name:path}"), _route("/{slug}")))
    (group,) = plan.groups
    assert group.name == "root"
    assert group.event_paths == ("/", "/health", "/files/{name+}", "/{slug}")


def test_groups_claiming_the_same_paths_are_merged_and_reported():
    plan = make_plan("shop.main:app", _app(
        _route("/items", "shop.items.router"), _route("/items/{i}", "shop.items.router"),
        _route("/items", "shop.legacy.router", methods=("POST",)),
    ))
    assert [g.name for g in plan.groups] == ["items"]
    assert len(plan.groups[0].routes) == 3
    (note,) = plan.notes
    assert note.subject == "group items-2 (router shop.legacy.router)"
    assert note.action == "merged into items"


def test_names_come_from_the_shared_prefix_or_the_router_module():
    plan = make_plan("shop.main:app", _app(
        _route("/api/v1/orders", "shop.api.orders.router"),
        _route("/{code}", "shop.api.short_links.router"),
        _route("/about", "shop.pages.pages_router"),
    ))
    assert [(g.name, g.logical_id, g.folder) for g in plan.groups] == [
        ("orders", "OrdersFunction", "orders_service"),
        ("short-links", "ShortLinksFunction", "short_links_service"),
        ("about", "AboutFunction", "about_service"),
    ]


def test_shared_state_and_startup_work_are_reported_once_per_object():
    plan = make_plan("shop.main:app", _app(
        _route("/a", "shop.a.router", state=["shop.db.DATA"]),
        _route("/b", "shop.b.router", state=["shop.db.DATA", "shop.b.CACHE"]),
        lifespan="shop.main.lifespan",
    ))
    subjects = [n.subject for n in plan.notes]
    assert subjects == ["shop.db.DATA", "startup work"]
    text = format_plan(plan)
    assert "  shop.db.DATA: module state used by groups a, b:" in text
    assert "shop.b.CACHE" not in text


def test_group_by_prefix_uses_the_first_segment():
    plan = make_plan("shop.main:app", _app(
        _route("/api/v1/orders", "shop.orders.router"),
        _route("/api/v1/users", "shop.users.router"), _route("/")), group_by="prefix")
    assert [(g.name, g.event_paths) for g in plan.groups] == [
        ("api", ("/api/v1/{proxy+}",)), ("root", ("/",))]


def test_nothing_to_split_is_an_error():
    with pytest.raises(SplitError, match="has no HTTP routes to split"):
        make_plan("shop.main:app", _app(_route("/ws", kind="websocket")))
    with pytest.raises(SplitError, match="--group-by 'tags'"):
        make_plan("shop.main:app", _app(_route("/a")), group_by="tags")
