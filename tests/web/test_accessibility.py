"""WCAG 2.2 AA checks of the chat in headless chromium: axe-core with the chat
open, a crisis card shown and buttons present; keyboard only; phone width and
200% zoom; target sizes."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from tests.web.harness import (
    AXE_JS,
    DESKTOP,
    PHONE,
    WebStack,
    bot_bubbles,
    deep_active_element,
    is_fallback,
    new_page,
    open_chat,
    reply_buttons,
    send_text,
    wait_for_new_bot_message,
    widget,
)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# 1280x720 at 200% zoom lays out like a 640x360 viewport.
ZOOM_200 = {"width": 640, "height": 360}


def chat_with_crisis_card(page: Any, url: str) -> None:
    open_chat(page, url)
    before = bot_bubbles(page).count()
    send_text(page, "I think my daughter has taken an overdose")
    widget(page).locator(".cc-crisis").wait_for()
    wait_for_new_bot_message(page, before)
    send_text(page, "menu")
    reply_buttons(page).first.wait_for()


def run_axe(page: Any) -> Dict[str, Any]:
    assert AXE_JS.exists(), "axe-core is missing: run scripts/build_web.sh (make setup does)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )


def violations(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [
        {"id": v["id"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def checked_targets(result: Dict[str, Any], rule: str) -> List[str]:
    """The elements that passed ``rule``, as strings (shadow paths joined)."""
    return [
        " >> ".join(map(str, node["target"]))
        for passed in result["passes"] if passed["id"] == rule
        for node in passed["nodes"]
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_violations(chromium: Any, web_stack: WebStack, viewport: Dict[str, int]):
    # bypass_csp: the page's CSP rightly refuses the injected axe script.
    page = new_page(chromium, web_stack, viewport=viewport, bypass_csp=True)
    try:
        page.goto(web_stack.url)
        closed = run_axe(page)
        assert violations(closed) == []  # the page with the chat closed
        chat_with_crisis_card(page, web_stack.url)
        assert widget(page).locator(".cc-crisis").is_visible()
        assert reply_buttons(page).count() > 0
        result = run_axe(page)
        assert violations(result) == [], violations(result)
        # axe really looked inside the widget's shadow root.
        buttons = checked_targets(result, "button-name")
        assert any("cc-reply" in t for t in buttons), buttons
        assert any("cc-crisis-hide" in t for t in buttons), buttons
        contrast = checked_targets(result, "color-contrast")
        assert any("cc-crisis" in t for t in contrast), contrast
        assert any("cc-reply" in t for t in contrast), contrast
        # Nothing left for a person to check by hand.
        incomplete = [
            (i["id"], [(n["target"], n.get("any", [{}])[0].get("message", "")) for n in i["nodes"]])
            for i in result["incomplete"]
        ]
        assert incomplete == [], incomplete
    finally:
        page.context.close()


def tab_to(page: Any, wanted: Any, limit: int = 60) -> Dict[str, Any]:
    """Presses Tab until ``wanted(focused)`` is true; returns the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = deep_active_element(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element (last: {focused})")


def test_keyboard_alone_reaches_a_topic_answer(page: Any, web_stack: WebStack):
    page.goto(web_stack.url)
    tab_to(page, lambda f: f.get("text") == "Chat with us")
    page.keyboard.press("Enter")
    focused = tab_to(page, lambda f: f.get("text") == "Start chat")
    assert focused["outline"] != "none", "focus must be visible"
    page.keyboard.press("Enter")
    reply_buttons(page).first.wait_for()

    focused = tab_to(page, lambda f: "cc-reply" in f.get("cls", ""))
    assert focused["outline"] != "none", "focus must be visible"
    before = bot_bubbles(page).count()
    page.keyboard.press("Enter")
    answer = wait_for_new_bot_message(page, before)
    assert answer and not any(is_fallback(t) for t in answer), answer

    # Typing and Enter from the keyboard too.
    tab_to(page, lambda f: f.get("tag") == "input")
    page.keyboard.type("Are you a real person?")
    before = bot_bubbles(page).count()
    page.keyboard.press("Enter")
    answer = wait_for_new_bot_message(page, before)
    assert answer and not any(is_fallback(t) for t in answer), answer


LAYOUT_CHECK = """() => {
    const root = document.querySelector('#carer-chat').shadowRoot;
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const panel = root.querySelector('.cc-panel').getBoundingClientRect();
    const small = [];
    const offscreen = [];
    for (const el of root.querySelectorAll('button, input, .cc-crisis-link, .cc-danger a')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;  // not shown
        if (r.width < 24 || r.height < 24) small.push(el.textContent.trim() || el.tagName);
        if (r.left < -1 || r.right > vw + 1) offscreen.push(el.textContent.trim() || el.tagName);
    }
    return {
        panelFits: panel.left >= -1 && panel.right <= vw + 1 && panel.top >= -1
            && panel.bottom <= vh + 1,
        pageScrollsSideways: document.documentElement.scrollWidth > vw + 1,
        small, offscreen,
    };
}"""


@pytest.mark.parametrize("viewport", [PHONE, ZOOM_200], ids=["phone-360", "zoom-200"])
def test_fits_small_screens_and_big_zoom(
    chromium: Any, web_stack: WebStack, viewport: Dict[str, int]
):
    page = new_page(chromium, web_stack, viewport=viewport)
    try:
        chat_with_crisis_card(page, web_stack.url)
        layout = page.evaluate(LAYOUT_CHECK)
        assert layout["panelFits"], layout
        assert not layout["pageScrollsSideways"], layout
        assert layout["small"] == [], f"targets under 24px: {layout['small']}"
        assert layout["offscreen"] == [], layout
        # The always-visible parts are on screen together with the crisis card.
        for name in ("Quick exit", "Close"):
            assert page.get_by_role("button", name=name).first.is_visible()
        assert widget(page).locator(".cc-danger").is_visible()
        assert page.get_by_label("Your message").is_visible()
    finally:
        page.context.close()
