"""``projects.list`` is lazy: it sends nothing until used, then a page at a time, following
``pagination.cursor``; a page shorter than ``limit`` (or, without a limit, an empty page) ends
the listing."""

from __future__ import annotations

from sdk_support import (
    FakeApi,
    Sdk,
    every_page,
    every_project,
    first_projects,
    ok,
    page_json,
    unavailable,
    unused_listing,
)
from unique.client import AsyncProjectListing, ProjectListing, ProjectPage


def names(projects: list) -> list[str]:  # type: ignore[type-arg]
    return [project.name for project in projects]


def test_a_listing_sends_nothing_until_it_is_used(sdk: Sdk, fake_api: FakeApi) -> None:
    listing = sdk(lambda client: unused_listing(client, search="x", limit=3))

    assert isinstance(listing, ProjectListing | AsyncProjectListing)
    assert repr(listing).endswith("(search='x', limit=3, cursor=None)")
    assert fake_api.requests == []


def test_iterating_follows_the_cursors_until_a_short_page(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [
        ok(page_json([5, 4], "c1")),
        ok(page_json([3, 2], "c2")),
        ok(page_json([1], "c3")),
    ]

    listed = sdk(lambda client: every_project(client, search="misty", limit=2))

    assert names(listed) == ["misty-5", "misty-4", "misty-3", "misty-2", "misty-1"]
    assert fake_api.sent == [
        ("GET", "/api/v2/projects?limit=2&search=misty"),
        ("GET", "/api/v2/projects?limit=2&cursor=c1&search=misty"),
        ("GET", "/api/v2/projects?limit=2&cursor=c2&search=misty"),
    ]


def test_a_full_last_page_costs_one_empty_page(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([2, 1], "c1")), ok({"projects": []})]

    listed = sdk(lambda client: every_project(client, limit=2))

    assert names(listed) == ["misty-2", "misty-1"]
    assert len(fake_api.requests) == 2


def test_without_a_limit_only_an_empty_page_ends_the_listing(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([2], "c")), ok(page_json([1], "d")), ok({"projects": []})]

    listed = sdk(lambda client: every_project(client))

    assert names(listed) == ["misty-2", "misty-1"]
    assert [path for _, path in fake_api.sent] == [
        "/api/v2/projects",
        "/api/v2/projects?cursor=c",
        "/api/v2/projects?cursor=d",
    ]


def test_breaking_off_early_sends_no_further_request(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([5, 4], "c1")), ok(page_json([3, 2], "c2"))]

    taken = sdk(lambda client: first_projects(client, 2, limit=2))

    assert names(taken) == ["misty-5", "misty-4"]
    assert len(fake_api.requests) == 1


def test_iteration_starts_at_the_given_cursor(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([1], "z"))]

    listed = sdk(lambda client: every_project(client, cursor="c9", limit=5))

    assert names(listed) == ["misty-1"]
    assert fake_api.sent == [("GET", "/api/v2/projects?limit=5&cursor=c9")]


def test_first_page_is_one_request_with_its_cursor(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([3, 2], "next"))]

    page = sdk(lambda client: client.projects.list(limit=2).first_page())

    assert isinstance(page, ProjectPage)
    assert (len(page), page.cursor, names(list(page))) == (2, "next", ["misty-3", "misty-2"])
    assert page.raw == page_json([3, 2], "next")
    assert page.projects[0].response == {"project": page.raw["projects"][0]}
    assert len(fake_api.requests) == 1


def test_first_page_may_be_empty_and_has_no_cursor_then(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok({"projects": []})]

    page = sdk(lambda client: client.projects.list(search="nothing").first_page())

    assert (len(page), page.cursor) == (0, None)


def test_pages_yields_each_non_empty_page(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([4, 3], "a")), ok(page_json([2, 1], "b")), ok({"projects": []})]

    pages = sdk(lambda client: every_page(client, limit=2))

    assert [names(page.projects) for page in pages] == [
        ["misty-4", "misty-3"],
        ["misty-2", "misty-1"],
    ]
    assert [page.cursor for page in pages] == ["a", "b"]


def test_each_page_is_retried_like_any_read(
    sdk: Sdk, fake_api: FakeApi, waits: list[float]
) -> None:
    fake_api.script = [ok(page_json([3, 2], "c")), unavailable(), ok(page_json([1], "d"))]

    listed = sdk(lambda client: every_project(client, limit=2))

    assert names(listed) == ["misty-3", "misty-2", "misty-1"]
    second = ("GET", "/api/v2/projects?limit=2&cursor=c")
    assert fake_api.sent == [("GET", "/api/v2/projects?limit=2"), second, second]
