"""actions/suggestions.py: "Did you mean...?" offers the likeliest topics, in reviewed words."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.suggestions import (
    MAX_SUGGESTIONS,
    NOT_SUGGESTED,
    SOMETHING_ELSE,
    ActionSuggestTopics,
    button_titles,
    suggestions,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def ranking(*pairs: Any) -> List[Dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def run(domain: Dict[str, Any], intent_ranking: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    tracker = Tracker(
        "sender", {}, {"intent": {"name": "nlu_fallback"}, "intent_ranking": intent_ranking},
        [], False, None, {}, "action_listen",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSuggestTopics().run(dispatcher, tracker, domain))
    return dispatcher.messages


def test_titles_are_the_domains_own_button_titles(domain: Dict[str, Any]) -> None:
    titles = button_titles(domain)
    assert titles["topic_carers_assessment"] == "Carer's assessment"
    assert titles["professional_care_plan"] == "Care and safety plans"
    # Every offered title is a title some reviewed response already shows.
    shown = {
        b["title"] for variations in domain["responses"].values()
        for v in variations for b in v.get("buttons") or []
    }
    assert set(titles.values()) <= shown


def test_offers_the_likeliest_topics_best_first_plus_something_else(
    domain: Dict[str, Any],
) -> None:
    messages = run(domain, ranking(
        ("nlu_fallback", 0.25), ("topic_carers_assessment", 0.22),
        ("carer_benefits", 0.18), ("topic_carer_support", 0.1), ("topic_scars", 0.07),
    ))
    assert [m["response"] for m in messages] == ["utter_did_you_mean"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/topic_carers_assessment", "/carer_benefits", "/topic_carer_support",
                        SOMETHING_ELSE["payload"]]
    assert len(payloads) == MAX_SUGGESTIONS + 1


def test_never_offers_risk_small_talk_or_follow_ups(domain: Dict[str, Any]) -> None:
    offered = suggestions(
        ranking(*[(name, 0.5) for name in sorted(NOT_SUGGESTED)], ("topic_scars", 0.1)),
        button_titles(domain),
    )
    assert [b["payload"] for b in offered] == ["/topic_scars"]
    assert not any(b["payload"].startswith("/risk_") for b in offered)


def test_noise_is_not_offered_and_nothing_to_offer_means_the_old_reply(
    domain: Dict[str, Any],
) -> None:
    assert suggestions(ranking(("topic_scars", 0.01)), button_titles(domain)) == []
    messages = run(domain, ranking(("nlu_fallback", 0.3), ("greet", 0.2)))
    assert [m["response"] for m in messages] == ["utter_default", "utter_menu"]


def test_an_intent_without_a_reviewed_title_is_skipped(domain: Dict[str, Any]) -> None:
    titles = button_titles(domain)
    assert "ask_medical" not in titles  # no button asks for it, so no reviewed title
    offered = suggestions(ranking(("ask_medical", 0.4), ("topic_scars", 0.2)), titles)
    assert [b["payload"] for b in offered] == ["/topic_scars"]


def run_after(domain: Dict[str, Any], intent: str, intent_ranking: List[Dict[str, Any]]
              ) -> List[Dict[str, Any]]:
    tracker = Tracker(
        "sender", {}, {"intent": {"name": intent}, "intent_ranking": intent_ranking},
        [], False, None, {}, "utter_out_of_scope",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSuggestTopics().run(dispatcher, tracker, domain))
    return dispatcher.messages


def test_after_out_of_scope_a_likely_topic_is_offered_instead_of_the_menu(
    domain: Dict[str, Any],
) -> None:
    messages = run_after(domain, "out_of_scope", ranking(
        ("out_of_scope", 0.5), ("topic_helping", 0.3), ("topic_scars", 0.08),
    ))
    assert [m["response"] for m in messages] == ["utter_did_you_mean_instead"]
    # 0.08 is under the higher bar used after an out-of-scope reply
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/topic_helping", SOMETHING_ELSE["payload"]]


def test_a_plainly_out_of_scope_message_gets_the_menu(domain: Dict[str, Any]) -> None:
    messages = run_after(domain, "out_of_scope", ranking(
        ("out_of_scope", 0.9), ("topic_scars", 0.06),
    ))
    assert [m["response"] for m in messages] == ["utter_menu"]
