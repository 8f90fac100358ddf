"""Small parts of the web chat on their own: link making in the browser, and the
socket.io output that carries the crisis payload."""

from __future__ import annotations

import asyncio
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Tuple

import pytest

from components.socketio_output import WebChatSocketIOOutput
from tests.support import ROOT

LINKIFY_JS = ROOT / "web" / "src" / "linkify.js"
ESBUILD = ROOT / "web" / "node_modules" / ".bin" / "esbuild"


def linkify_bundle() -> str:
    """web/src/linkify.js with linkify-it, bundled the way the widget is."""
    return subprocess.run(
        [str(ESBUILD), str(LINKIFY_JS), "--bundle", "--format=iife",
         "--global-name=CarerLinkify", "--log-level=warning"],
        cwd=ROOT / "web", check=True, capture_output=True, text=True,
    ).stdout


def run(coroutine: Any) -> Any:
    """asyncio.run in a thread: Playwright's loop may be running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class FakeSio:
    def __init__(self) -> None:
        self.emitted: List[Tuple[str, Any, Any]] = []

    async def emit(self, event, data=None, to=None, room=None, skip_sid=None,
                   namespace=None, callback=None, ignore_queue=False):
        self.emitted.append((event, data, room))


def test_crisis_payload_reaches_the_page_as_custom():
    sio = FakeSio()
    output = WebChatSocketIOOutput(sio, "bot_uttered")
    message = {"text": "Call 999 now.", "custom": {"crisis": True, "kind": "danger_now"}}
    run(output.send_response("session-1", dict(message)))
    assert sio.emitted == [
        ("bot_uttered", {"text": "Call 999 now."}, "session-1"),
        ("bot_uttered", {"custom": {"crisis": True, "kind": "danger_now"}}, "session-1"),
    ]


def test_stock_rasa_output_cannot_send_the_crisis_payload():
    """Why WebChatSocketIOOutput exists: if Rasa fixes this, it can go."""
    from rasa.core.channels.socketio import SocketIOOutput

    output = SocketIOOutput(FakeSio(), "bot_uttered")
    with pytest.raises(TypeError):
        run(output.send_custom_json("s", {"crisis": True, "kind": "self"}))


CASES = [
    # (bot text, [(link text, href)], text that must show)
    ("See www.samaritans.org.", [("www.samaritans.org", "https://www.samaritans.org/")],
     "See www.samaritans.org."),
    ("Go to https://www.nhs.uk/mental-health/ (NHS).",
     [("https://www.nhs.uk/mental-health/", "https://www.nhs.uk/mental-health/")], None),
    ("Email jo@samaritans.org today", [("jo@samaritans.org", "mailto:jo@samaritans.org")], None),
    ("[Call Samaritans](tel:116123)", [("Call Samaritans", "tel:116123")], "Call Samaritans"),
    ("[Text Shout](sms:85258)", [("Text Shout", "sms:85258")], None),
    ("[click me](javascript:alert`1`)", [], "click me"),
    ("[click me](javascript:alert(1))", [], "[click me](javascript:alert(1))"),
    ("[x](data:text/html,hi)", [], "x"),
    ("<b>bold</b> <img src=x onerror=alert(1)>", [], "<b>bold</b> <img src=x onerror=alert(1)>"),
    ("javascript:alert(1) and vbscript:x", [], "javascript:alert(1) and vbscript:x"),
    # A label that reads as another address or number is not a link.
    ("[www.nhs.uk](https://evil.example)", [], "www.nhs.uk"),
    ("[jo@nhs.uk](mailto:x@evil.example)", [], "jo@nhs.uk"),
    ("[Samaritans 116 123](tel:09001234567)", [], "Samaritans 116 123"),
    ("[Samaritans 116 123](tel:116123)", [("Samaritans 116 123", "tel:116123")], None),
    ("[www.nhs.uk](https://www.nhs.uk/)", [("www.nhs.uk", "https://www.nhs.uk/")], None),
    ("ftp://files.example //example.org", [], "ftp://files.example //example.org"),
]


@pytest.fixture()
def linkify_page(chromium: Any) -> Any:
    context = chromium.new_context()
    context.route("**/*", lambda route: route.abort())
    page = context.new_page()
    page.set_content("<!doctype html><title>t</title><p id='out'></p>")
    page.add_script_tag(
        content=linkify_bundle() + "\nwindow.appendLinkified = CarerLinkify.appendLinkified;")
    yield page
    context.close()


@pytest.mark.parametrize("text,links,shown", CASES)
def test_links_are_safe_and_only_text_is_text(linkify_page: Any, text, links, shown):
    result = linkify_page.evaluate(
        """(text) => {
            const out = document.getElementById('out');
            out.replaceChildren();
            window.appendLinkified(out, text);
            const links = [...out.querySelectorAll('a')].map(a => [
                a.childNodes[0].textContent, a.getAttribute('href'), a.rel, a.target]);
            const tags = [...out.querySelectorAll('*')].map(e => e.tagName.toLowerCase())
                .filter(t => t !== 'a' && t !== 'span');
            return {links, tags, text: out.textContent};
        }""",
        text,
    )
    assert [(label, href) for label, href, _, _ in result["links"]] == links
    assert result["tags"] == []
    for _, href, rel, target in result["links"]:
        assert "noopener" in rel
        if href.startswith("http"):
            assert target == "_blank"
    if shown is not None:
        assert result["text"].replace(" (opens in a new tab)", "") == shown


def test_linkify_time_is_bounded(linkify_page: Any) -> None:
    """The hand-written trimmer took 22 s on a URL followed by 20,000 ")"."""
    started = time.monotonic()
    shown = linkify_page.evaluate(
        """() => {
            const out = document.getElementById('out');
            out.replaceChildren();
            const text = 'https://www.nhs.uk/' + ')'.repeat(20000) + ' ' + 'x'.repeat(200000);
            window.appendLinkified(out, text);
            return out.textContent.length - text.length;
        }""")
    assert time.monotonic() - started < 2
    assert shown == len(" (opens in a new tab)"), "all the text is still shown"
