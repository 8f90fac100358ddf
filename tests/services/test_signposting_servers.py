"""Signposting through the real servers, and with the action server stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from tests.support import InProcessBot, Servers, is_crisis, reply_texts, running_servers

NATIONAL = "These national services can help"


def texts(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(reply_texts(replies))


def test_guided_search_then_more_then_risk_then_action_server_down(tmp_path: Path) -> None:
    with running_servers(tmp_path) as servers:
        _guided_search(servers)
        _risk_inside_the_form(servers)
        _action_server_stops_midway(servers)


def _guided_search(servers: Servers) -> None:
    sender = "signposting-happy"
    first = servers.send(sender, "/find_service")
    assert "who is the support for?" in texts(first)
    assert any(b["payload"] == '/inform{"service_for":"carer"}' for b in first[-1]["buttons"])
    assert "How old are you?" in texts(servers.send(sender, "me as a carer"))
    reask = texts(servers.send(sender, "blue banana"))
    assert "didn't understand" in reask and "How old are you?" in reask
    results = servers.send(sender, '/inform{"age_group":"25_to_55"}')
    assert "get in touch" in texts(results)
    results = servers.send(sender, '/inform{"contact_method":"phone"}')
    names = [t.split("\n")[0] for t in reply_texts(results)]
    assert names[1:4] == ["Self-Injury Support", "Sane Line", "Mood Swings"]
    assert "Phone: 0808 800 8088" in texts(results)
    payloads = [b["payload"] for b in results[-1]["buttons"]]
    assert payloads == ["/show_more_services", "/find_service", "/show_menu"]
    more = servers.send(sender, "/show_more_services")
    assert [t.split("\n")[0] for t in reply_texts(more)][:3] == [
        "Samaritans", "CALM (Campaign Against Living Miserably)", "Support Line"
    ]
    shortcut = servers.send(sender, "someone to talk to at night")
    assert "Open: 24 hours a day, every day of the year" in texts(shortcut)


def _risk_inside_the_form(servers: Servers) -> None:
    sender = "signposting-risk"
    servers.send(sender, "/find_service")
    servers.send(sender, '/inform{"service_for":"loved_one"}')
    replies = servers.send(sender, "I want to kill myself")
    assert is_crisis(replies)
    assert "How old" not in texts(replies)  # the form has stepped aside
    # The form is over: an ordinary message gets its ordinary answer.
    assert "automated" in texts(servers.send(sender, "hello"))


def _action_server_stops_midway(servers: Servers) -> None:
    sender = "signposting-down"
    servers.send(sender, "/find_service")
    servers.stop("actions")
    replies = servers.send(sender, '/inform{"service_for":"carer"}')
    assert NATIONAL in texts(replies) and "116 123" in texts(replies)
    # The form was left: the next message is answered normally.
    assert "automated" in texts(servers.send(sender, "hi"))
    # A risk message never needs the action server.
    assert is_crisis(servers.send(sender, "I want to end my life"))


def test_action_server_stopped_find_service_gets_fixed_text(tmp_path: Path) -> None:
    with running_servers(tmp_path, with_actions=False) as servers:
        for message in ("/find_service", "a text service", "/show_more_services"):
            replies = servers.send(f"no-actions-{message}", message)
            assert NATIONAL in texts(replies), message
            assert "116 123" in texts(replies)


def test_in_process_bot_without_action_server(bot: InProcessBot) -> None:
    replies = bot.send("/find_service")
    assert NATIONAL in texts(replies)
