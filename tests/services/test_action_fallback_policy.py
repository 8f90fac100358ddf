"""components/action_fallback_policy.py on hand-built trackers (no servers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from components.action_fallback_policy import ActionFallbackPolicy

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
POLICY_CONFIG = next(
    p
    for p in yaml.safe_load((ROOT / "config.yml").read_text())["policies"]
    if p["name"].endswith("ActionFallbackPolicy")
)


def make_policy(tmp_path: Path, **overrides: Any) -> ActionFallbackPolicy:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config: Dict[str, Any] = {
        **ActionFallbackPolicy.get_default_config(),
        **{k: v for k, v in POLICY_CONFIG.items() if k != "name"},
        **overrides,
    }
    return ActionFallbackPolicy.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("action_fallback_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


@pytest.fixture
def policy(tmp_path: Path) -> ActionFallbackPolicy:
    return make_policy(tmp_path)


def user(intent: str, text: str = "typed") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0})


def predict(policy: ActionFallbackPolicy, events: List[Event]) -> Optional[str]:
    tracker = DialogueStateTracker.from_events("t", events, slots=DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if prediction.max_confidence == 0:
        return None
    assert prediction.is_no_user_prediction  # must outrank the form's happy path
    assert prediction.policy_priority > RULE_POLICY_PRIORITY
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


START = [ActionExecuted("action_listen")]
IN_FORM = START + [
    user("find_service"),
    ActionExecuted("action_reset_signposting"),
    SlotSet("service_for", None),
    ActionExecuted("signposting_form"),
    ActiveLoop("signposting_form"),
    SlotSet("requested_slot", "service_for"),
    BotUttered("Who is the support for?"),
    ActionExecuted("action_listen"),
]


def test_failed_custom_action_gets_the_national_list_then_listens(
    policy: ActionFallbackPolicy,
) -> None:
    events = START + [user("find_service"), ActionExecuted("action_reset_signposting")]
    assert predict(policy, events) == "utter_services_national"
    events += [ActionExecuted("utter_services_national"), BotUttered("national list")]
    assert predict(policy, events) == "action_listen"


def test_failed_form_inside_the_loop_leaves_the_form(policy: ActionFallbackPolicy) -> None:
    events = IN_FORM + [user("inform"), ActionExecuted("signposting_form")]
    assert predict(policy, events) == "utter_services_national"
    events += [ActionExecuted("utter_services_national"), BotUttered("national list")]
    assert predict(policy, events) == "action_deactivate_loop"
    events += [ActionExecuted("action_deactivate_loop"), ActiveLoop(None)]
    assert predict(policy, events) == "action_listen"


def test_successful_actions_are_left_alone(policy: ActionFallbackPolicy) -> None:
    events = START + [
        user("find_service_text"),
        ActionExecuted("action_show_services"),
        BotUttered("a service"),
        SlotSet("services_query", "find_service_text"),
    ]
    assert predict(policy, events) is None
    assert predict(policy, IN_FORM + [user("inform"), ActionExecuted("signposting_form"),
                                      SlotSet("service_for", "carer")]) is None
    # Responses and other actions are not watched.
    assert predict(policy, START + [user("greet"), ActionExecuted("utter_greet")]) is None


@pytest.mark.parametrize(
    ("intent", "response"),
    [
        ("risk_danger_now", "utter_crisis_danger_now"),
        ("risk_someone_else", "utter_crisis_someone_else"),
        ("risk_self", "utter_crisis_self"),
        ("risk_urgent_help", "utter_crisis_urgent_help"),
    ],
)
def test_risk_inside_a_form_gets_the_crisis_reply_first(
    policy: ActionFallbackPolicy, intent: str, response: str
) -> None:
    events = IN_FORM + [user(intent)]
    assert predict(policy, events) == response  # before the form (no action server needed)
    events += [ActionExecuted(response), BotUttered("crisis")]
    assert predict(policy, events) == "action_deactivate_loop"
    events += [ActionExecuted("action_deactivate_loop"), ActiveLoop(None)]
    assert predict(policy, events) == "action_listen"


def test_risk_outside_a_form_is_left_to_the_crisis_rules(policy: ActionFallbackPolicy) -> None:
    assert predict(policy, START + [user("risk_self")]) is None


def test_training_checks_the_names_against_the_domain(tmp_path: Path) -> None:
    make_policy(tmp_path / "ok").train([], DOMAIN)
    missing = dict(POLICY_CONFIG["crisis_responses"])
    missing.pop("risk_self")
    with pytest.raises(InvalidConfigException, match="risk_self"):
        make_policy(tmp_path / "a", crisis_responses=missing).train([], DOMAIN)
    with pytest.raises(InvalidConfigException, match="utter_nope"):
        make_policy(
            tmp_path / "b", fallback_responses={"action_show_services": "utter_nope"}
        ).train([], DOMAIN)
