"""The chat on the charity's page, end to end in headless chromium against
real Rasa and action servers (socket.io channel)."""

from __future__ import annotations

from typing import Any

from tests.web.harness import (
    WebStack,
    bot_bubbles,
    bubble_texts,
    is_fallback,
    open_chat,
    reply_buttons,
    send_text,
    storage_snapshot,
    strip_speaker,
    wait_for_new_bot_message,
    widget,
)

RISK_MESSAGE = "I think my daughter has taken an overdose"
XSS = "<img src=x onerror=alert(1)>"


def test_notice_comes_first_then_welcome_topic_and_question(page: Any, web_stack: WebStack):
    page.goto(web_stack.url)
    # The page and the always-visible bits, before the chat is opened.
    assert page.get_by_role("heading", name="Information for carers").is_visible()
    assert page.get_by_role("button", name="Quick exit").first.is_visible()
    page.get_by_role("button", name="Chat with us").click()

    notice = widget(page).locator(".cc-notice")
    assert notice.is_visible()
    notice_text = notice.inner_text()
    for words in ("automated assistant", "not a person or a counsellor", "30 days",
                  "names, addresses or phone numbers"):
        assert words in notice_text
    assert page.get_by_text("If someone is in danger now, call").first.is_visible()
    assert widget(page).locator(".cc-danger a[href='tel:999']").is_visible()
    # Nothing can be typed before the notice is accepted.
    assert not page.get_by_label("Your message").is_visible()

    page.get_by_role("button", name="Start chat").click()
    reply_buttons(page).first.wait_for()
    welcome = [strip_speaker(t) for t in bot_bubbles(page).all_inner_texts()]
    assert welcome and not any(is_fallback(t) for t in welcome)
    assert any("automated" in t for t in welcome), welcome

    # A topic button: its title shows as the user's message, an answer follows.
    first = reply_buttons(page).first
    title = first.inner_text().strip()
    before = bot_bubbles(page).count()
    first.click()
    answer = wait_for_new_bot_message(page, before)
    assert answer and not any(is_fallback(t) for t in answer), answer
    assert strip_speaker(page.locator(".cc-user .cc-bubble").last.inner_text()) == title

    # A typed question gets an answer that is not the fallback (small talk
    # that the foundation tests pin down, so topic content can change freely).
    before = bot_bubbles(page).count()
    send_text(page, "Are you a real person?")
    answer = wait_for_new_bot_message(page, before)
    assert answer and not any(is_fallback(t) for t in answer), answer
    assert page.get_by_label("Your message").input_value() == ""


def test_crisis_card_stays_until_dismissed_and_survives_reload(page: Any, web_stack: WebStack):
    open_chat(page, web_stack.url)
    card = widget(page).locator(".cc-crisis-slot[role='alert'] .cc-crisis")
    assert card.count() == 0

    before = bot_bubbles(page).count()
    send_text(page, RISK_MESSAGE)
    card.wait_for()
    replies = wait_for_new_bot_message(page, before)
    assert any("999" in t for t in replies), replies
    hrefs = card.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "tel:999" in hrefs and "tel:116123" in hrefs
    assert any(h.startswith("sms:85258") for h in hrefs), hrefs
    assert "116 123" in card.inner_text() and "85258" in card.inner_text()

    # The card stays above the conversation while the user goes on.
    before = bot_bubbles(page).count()
    send_text(page, "ok")
    wait_for_new_bot_message(page, before)
    assert card.is_visible()

    # Reload: same conversation, card still there, no notice.
    shown = bubble_texts(page)
    page.reload()
    page.locator(".cc-msg").first.wait_for()
    assert bubble_texts(page) == shown
    assert card.is_visible()
    assert not widget(page).locator(".cc-notice").is_visible()

    # The conversation goes on in the same Rasa session after the reload.
    before = bot_bubbles(page).count()
    send_text(page, "hello")
    assert wait_for_new_bot_message(page, before)

    page.get_by_role("button", name="Hide this box").click()
    assert card.count() == 0
    page.reload()
    page.locator(".cc-msg").first.wait_for()
    assert card.count() == 0


def test_what_the_user_types_is_text_not_html(page: Any, web_stack: WebStack):
    open_chat(page, web_stack.url)
    before = bot_bubbles(page).count()
    send_text(page, XSS)
    wait_for_new_bot_message(page, before)
    mine = page.locator(".cc-user .cc-bubble").last
    assert strip_speaker(mine.inner_text()) == XSS
    assert widget(page).locator("img").count() == 0
    page.reload()
    page.locator(".cc-user").first.wait_for()
    assert strip_speaker(page.locator(".cc-user .cc-bubble").last.inner_text()) == XSS
    assert widget(page).locator("img").count() == 0
    page.wait_for_timeout(300)
    assert page.dialogs == []


def test_quick_exit_clears_the_chat_and_replaces_the_page(page: Any, web_stack: WebStack):
    open_chat(page, web_stack.url)
    send_text(page, "hello")
    assert storage_snapshot(page)["session"] > 0

    page.get_by_role("button", name="Quick exit").first.click()
    page.wait_for_url("https://www.bbc.co.uk/**")
    # Replaced, not pushed: Back does not return to the chat.
    page.go_back()
    assert "localhost" not in page.url

    page.goto(web_stack.url)
    assert storage_snapshot(page) == {"session": 0, "local": 0}
    assert widget(page).locator(".cc-msg").count() == 0
    page.get_by_role("button", name="Chat with us").click()
    assert widget(page).locator(".cc-notice").is_visible()


def test_escape_twice_is_a_quick_exit(page: Any, web_stack: WebStack):
    open_chat(page, web_stack.url)
    page.keyboard.press("Escape")
    page.wait_for_timeout(100)
    assert "localhost" in page.url  # once is not enough
    page.keyboard.press("Escape")
    page.wait_for_url("https://www.bbc.co.uk/**")
    page.goto(web_stack.url)
    assert storage_snapshot(page) == {"session": 0, "local": 0}


def test_a_message_sent_while_offline_goes_when_back_online(page: Any, web_stack: WebStack):
    open_chat(page, web_stack.url)
    page.context.set_offline(True)
    page.wait_for_function(
        """() => document.querySelector('#carer-chat').shadowRoot
                 .querySelector('.cc-status').textContent.length > 0""",
        timeout=40_000,
    )
    before = bot_bubbles(page).count()
    send_text(page, "Are you a real person?")
    page.wait_for_timeout(1000)
    assert bot_bubbles(page).count() == before  # nothing can arrive while offline
    page.context.set_offline(False)
    answer = wait_for_new_bot_message(page, before, timeout=40_000)
    assert answer and not any(is_fallback(t) for t in answer), answer
    # Sent once: exactly one answer turn, not two.
    page.wait_for_timeout(1500)
    texts = [strip_speaker(t) for t in bot_bubbles(page).all_inner_texts()[before:]]
    assert texts == answer, texts


def _stored_user_texts(web_stack: WebStack, session_id: str) -> list:
    import json

    import sqlalchemy as sa

    engine = sa.create_engine(web_stack.servers.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT data FROM events WHERE sender_id=:s "
                                    "AND type_name='user' ORDER BY id"), {"s": session_id})
        texts = [json.loads(r[0]).get("text") for r in rows]
    engine.dispose()
    return texts


def test_reload_resumes_with_the_servers_signed_token(page: Any, web_stack: WebStack):
    """The tab keeps the server's token, never a conversation id of its own."""
    open_chat(page, web_stack.url)
    before = bot_bubbles(page).count()
    send_text(page, "Are you a real person?")
    wait_for_new_bot_message(page, before)
    state = page.evaluate("() => JSON.parse(sessionStorage.getItem('carerChat.v1'))")
    assert "sessionId" not in state
    session_id, _, mac = state["sessionToken"].rpartition(".")
    assert session_id.startswith("web:") and len(mac) == 64

    page.reload()
    page.locator(".cc-msg").first.wait_for()
    before = bot_bubbles(page).count()
    send_text(page, "hello")
    wait_for_new_bot_message(page, before)
    texts = _stored_user_texts(web_stack, session_id)
    assert "Are you a real person?" in texts and texts[-1] == "hello", texts

    # A tampered token starts a new conversation instead of joining one.
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('carerChat.v1'));
        s.sessionToken = s.sessionToken.slice(0, -4) + '0000';
        sessionStorage.setItem('carerChat.v1', JSON.stringify(s));
    }""")
    page.reload()
    page.locator(".cc-msg").first.wait_for()
    before = bot_bubbles(page).count()
    send_text(page, "are you a bot?")
    wait_for_new_bot_message(page, before)
    assert "are you a bot?" not in _stored_user_texts(web_stack, session_id)
