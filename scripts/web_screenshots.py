"""Screenshots of the web chat at phone (360x740) and desktop size:
the privacy notice, the welcome, a topic answer and a crisis card.

Starts its own Rasa, action and page servers on free ports and stops them
after. Output: reports/screenshots/*.png. Run with `make screenshots`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.web.harness import (  # noqa: E402 (needs the path above)
    DESKTOP,
    PHONE,
    bot_bubbles,
    launch_chromium,
    new_page,
    reply_buttons,
    running_web_stack,
    send_text,
    wait_for_new_bot_message,
    widget,
)

OUT = ROOT / "reports" / "screenshots"


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory() as tmp, running_web_stack(Path(tmp)) as stack:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                touch = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
                page = new_page(browser, stack, viewport=viewport, **touch)

                def shot(name: str, page=page, size=size) -> None:  # noqa: ANN001
                    path = OUT / f"{size}-{name}.png"
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(path))
                    saved.append(path)

                page.goto(stack.url)
                shot("0-page")
                page.get_by_role("button", name="Chat with us").click()
                shot("1-notice")
                page.get_by_role("button", name="Start chat").click()
                reply_buttons(page).first.wait_for()
                shot("2-welcome")
                before = bot_bubbles(page).count()
                reply_buttons(page).first.click()
                wait_for_new_bot_message(page, before)
                shot("3-topic-answer")
                before = bot_bubbles(page).count()
                send_text(page, "I think my daughter has taken an overdose")
                widget(page).locator(".cc-crisis").wait_for()
                wait_for_new_bot_message(page, before)
                shot("4-crisis")
                page.context.close()
            browser.close()
    for path in saved:
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
