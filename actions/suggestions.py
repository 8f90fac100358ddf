"""A fallback that helps: "Did you mean...?" with the likeliest topics.

When the classifier is unsure (``nlu_fallback``), the person gets the two or
three topics it thought most likely, as buttons, plus "Something else", in the
spirit of Rasa's two-stage fallback, instead of the whole menu. Every word is
fixed, reviewed text: the question is ``utter_did_you_mean`` and each button's
title is the title the domain already gives that intent's button (the menu and
the topics' own buttons), so an intent with no reviewed title is never offered.
With nothing to offer, the old reply: ``utter_default`` and the menu.

After the out-of-scope reply the same action runs, so an in-domain question the
classifier took for out of scope ("...my daughter's school...") also gets its
likeliest topics (``utter_did_you_mean_instead``), not the whole menu; a
message with no plausible topic gets the menu, as before.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

MAX_SUGGESTIONS = 3
# Below this, a guess is noise: offering it would look random.
MIN_CONFIDENCE = 0.05
# After an out-of-scope reply, only a topic with a real share of the vote.
MIN_CONFIDENCE_AFTER_OUT_OF_SCOPE = 0.1
SOMETHING_ELSE = {"title": "Something else", "payload": "/show_menu"}

# Never offered as a guess: risk has its own replies (and the risk layers have
# already ruled it out for this message), small talk and answers to questions
# make no sense as a topic, follow-ups need the topic they follow.
NOT_SUGGESTED = frozenset({
    "nlu_fallback", "out_of_scope", "message_too_long", "inform",
    "risk_danger_now", "risk_someone_else", "risk_self", "risk_urgent_help", "risk_check",
    "crisis_followup", "safe_now", "greet", "goodbye", "thanks", "bot_challenge",
    "feedback_helpful", "feedback_not_helpful", "show_menu", "delete_conversation",
    "followup_more", "followup_how_to_get", "followup_what_included", "followup_copy",
    "followup_young_person", "show_more_services",
})


def button_titles(domain: DomainDict) -> Dict[str, str]:
    """intent -> the reviewed title of the first domain button that asks for it."""
    titles: Dict[str, str] = {}
    for variations in (domain.get("responses") or {}).values():
        for variation in variations:
            for button in variation.get("buttons") or []:
                payload = str(button.get("payload", ""))
                intent = payload[1:] if payload.startswith("/") else ""
                if intent and "{" not in intent and intent not in titles:
                    titles[intent] = str(button["title"])
    return titles


def suggestions(
    ranking: Iterable[Dict[str, Any]],
    titles: Dict[str, str],
    min_confidence: float = MIN_CONFIDENCE,
) -> List[Dict[str, str]]:
    """Up to MAX_SUGGESTIONS buttons for the likeliest topics, best first."""
    buttons: List[Dict[str, str]] = []
    for entry in sorted(ranking, key=lambda e: e.get("confidence") or 0.0, reverse=True):
        name: Optional[str] = entry.get("name")
        if (entry.get("confidence") or 0.0) < min_confidence:
            break
        if not name or name in NOT_SUGGESTED or name not in titles:
            continue
        buttons.append({"title": titles[name], "payload": f"/{name}"})
        if len(buttons) == MAX_SUGGESTIONS:
            break
    return buttons


class ActionSuggestTopics(Action):
    """nlu_fallback or out_of_scope: the likeliest topics as buttons, or the menu if none."""

    def name(self) -> str:
        return "action_suggest_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        latest = tracker.latest_message or {}
        ranking = latest.get("intent_ranking") or []
        after_out_of_scope = (latest.get("intent") or {}).get("name") == "out_of_scope"
        floor = MIN_CONFIDENCE_AFTER_OUT_OF_SCOPE if after_out_of_scope else MIN_CONFIDENCE
        buttons = suggestions(ranking, button_titles(domain), floor)
        if buttons:
            question = "utter_did_you_mean_instead" if after_out_of_scope else "utter_did_you_mean"
            dispatcher.utter_message(response=question, buttons=buttons + [SOMETHING_ELSE])
        elif after_out_of_scope:
            dispatcher.utter_message(response="utter_menu")
        else:
            dispatcher.utter_message(response="utter_default")
            dispatcher.utter_message(response="utter_menu")
        return []
