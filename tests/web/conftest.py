"""Fixtures for the browser tests: one web stack and one chromium per session."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.web.harness import CHROMIUM, WebStack, ci, launch_chromium, new_page, running_web_stack


def pytest_collection_modifyitems(items: list) -> None:
    for item in items:
        if "tests/web/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    if not CHROMIUM.exists():
        message = "Debian's chromium is missing: run scripts/setup_browser.sh (make test does)"
        if ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def web_stack(
    chromium_ready: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebStack]:
    with running_web_stack(tmp_path_factory.mktemp("web")) as stack:
        yield stack


@pytest.fixture(scope="session")
def chromium(chromium_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium: Any, web_stack: WebStack) -> Iterator[Any]:
    """A fresh tab (own storage); fails the test if it tried to reach a third party."""
    start = len(web_stack.external_requests)
    tab = new_page(chromium, web_stack)
    dialogs: list = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    tab.context.close()
    leaked = [
        u for u in web_stack.external_requests[start:] if "bbc.co.uk" not in u
    ]
    assert not leaked, f"the page tried to reach third parties: {leaked}"
