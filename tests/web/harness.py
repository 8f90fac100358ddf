"""Browser test harness: Debian's chromium through Playwright, the demo page
served by scripts/serve_web.py, and helpers that drive the chat widget.

Used by tests/web/ and scripts/web_screenshots.py. No request leaves the
machine: every non-local request is aborted, except the quick exit's neutral
site, which is answered with a stub page.
"""

from __future__ import annotations

import os
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List
from urllib.parse import urlsplit

import yaml

from tests.support import ROOT, VENV_BIN, Servers, free_port, running_servers, wait_http

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXIT_HOST = "www.bbc.co.uk"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class WebStack:
    """Rasa + actions + the demo page, all on free local ports."""

    url: str
    servers: Servers
    external_requests: List[str] = field(default_factory=list)


def fallback_texts() -> List[str]:
    """The low-confidence replies' texts (utter_did_you_mean, utter_default), from domain.yml."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [
        r["text"]
        for name in ("utter_did_you_mean", "utter_default")
        for r in domain["responses"][name]
        if r.get("text")
    ]


@contextmanager
def running_web_stack(tmp_dir: Path) -> Iterator[WebStack]:
    """Starts Rasa, the action server and serve_web.py; stops them after."""
    port = free_port()
    origin = f"http://localhost:{port}"
    with running_servers(tmp_dir, cors_origin=origin) as servers:
        log = open(tmp_dir / f"web-{port}.log", "w")  # noqa: SIM115 (lives with the process)
        proc = subprocess.Popen(
            [str(VENV_BIN / "python"), str(ROOT / "scripts" / "serve_web.py"),
             "--port", str(port), "--rasa-url", servers.rasa_url],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/", timeout=30, proc=proc)
            yield WebStack(url=f"{origin}/", servers=servers)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def launch_chromium(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        raise RuntimeError("Debian's chromium is missing: run scripts/setup_browser.sh")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def new_page(browser: Any, stack: WebStack, **context_options: Any) -> Any:
    """A page in a fresh context; no request leaves the machine."""
    context = browser.new_context(
        viewport=context_options.pop("viewport", DESKTOP), **context_options
    )

    def route(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            route.continue_()
        elif host == EXIT_HOST:
            stack.external_requests.append(route.request.url)
            route.fulfill(
                status=200, content_type="text/html",
                body="<!doctype html><title>Weather</title><h1>Weather</h1>",
            )
        else:
            stack.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


# ----- driving the widget (Playwright locators pierce the open shadow root) -----


def widget(page: Any) -> Any:
    return page.locator("#carer-chat")


def bot_bubbles(page: Any) -> Any:
    return page.locator(".cc-bot .cc-bubble")


def bubble_texts(page: Any) -> List[str]:
    return [t.strip() for t in page.locator(".cc-msg .cc-bubble").all_inner_texts()]


def reply_buttons(page: Any) -> Any:
    return page.locator(".cc-replies .cc-reply")


def open_chat(page: Any, url: str) -> None:
    """Loads the page, opens the chat, accepts the notice, waits for the menu."""
    page.goto(url)
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_role("button", name="Start chat").click()
    reply_buttons(page).first.wait_for()


def wait_for_new_bot_message(page: Any, before: int, timeout: float = 30_000) -> List[str]:
    """Waits until more than ``before`` bot messages are shown; returns the new texts."""
    page.wait_for_function(
        """(n) => {
            const host = document.querySelector('#carer-chat');
            return host && host.shadowRoot.querySelectorAll('.cc-bot .cc-bubble').length > n;
        }""",
        arg=before,
        timeout=timeout,
    )
    page.wait_for_timeout(500)  # the rest of that turn's messages
    texts = bot_bubbles(page).all_inner_texts()
    return [strip_speaker(t) for t in texts[before:]]


def strip_speaker(text: str) -> str:
    return re.sub(r"^\s*(Guide|You):\s*", "", text).strip()


def is_fallback(text: str) -> bool:
    return any(strip_speaker(text) == f.strip() for f in fallback_texts())


def send_text(page: Any, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_label("Your message").press("Enter")


def storage_snapshot(page: Any) -> Dict[str, int]:
    return page.evaluate(
        "() => ({session: sessionStorage.length, local: localStorage.length})"
    )


def deep_active_element(page: Any) -> Dict[str, Any]:
    """The focused element, looking inside shadow roots."""
    return page.evaluate(
        """() => {
            let el = document.activeElement;
            while (el && el.shadowRoot && el.shadowRoot.activeElement) {
                el = el.shadowRoot.activeElement;
            }
            if (!el) return {};
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim(),
                cls: el.className || '', outline: style.outlineStyle,
                outlineWidth: style.outlineWidth,
            };
        }"""
    )


def ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
