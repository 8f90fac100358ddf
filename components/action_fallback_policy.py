"""A fixed reply when the action server fails, and the crisis reply inside any form.

Two things Rasa 3.6 does not do on its own:

1. When a custom action (or a form's validation) cannot reach the action
   server, ``MessageProcessor._run_action`` logs the exception, drops the
   action's events and carries on: the person hears nothing. For the actions
   named in ``fallback_responses`` (each always returns at least one event
   when it runs), this policy sees that the last event is the action's
   ``ActionExecuted`` with nothing after it, and predicts that action's fixed
   domain response instead (``utter_services_national`` for signposting),
   then leaves any active form and listens.

2. While a form is active, RulePolicy predicts the form before any rule, and the
   form only steps aside after its validation action (on the action server)
   has run. So a risk message inside a form would depend on the action server.
   This policy predicts the crisis response straight away, then
   ``action_deactivate_loop``, then listens: the same steps as the forms'
   crisis rules in data/rules.yml, with no action server involved.

Its predictions are "no user" predictions with a priority above RulePolicy's,
so they win over the loop's happy path. It predicts nothing otherwise.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ActionFallbackPolicy(Policy):
    """Fixed replies when a custom action fails; crisis first inside forms."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "priority": RULE_POLICY_PRIORITY + 1,
            # custom action or form -> the response to send when it fails
            "fallback_responses": {},
            # risk intent -> crisis response (every risk_* intent must be here)
            "crisis_responses": {},
            "crisis_intent_prefix": "risk_",
        }

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(
        self,
        training_trackers: List[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn: checks the configured names against the domain."""
        self._check_domain(domain)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "checked").write_text("ok\n")
        return self._resource

    def _check_domain(self, domain: Domain) -> None:
        responses = set(domain.responses)
        problems = []
        named = {**self.config["fallback_responses"], **self.config["crisis_responses"]}
        for key, response in named.items():
            if response not in responses:
                problems.append(f"{key}: response '{response}' is not in the domain")
        for action in self.config["fallback_responses"]:
            if action not in domain.action_names_or_texts:
                problems.append(f"fallback_responses: action '{action}' is not in the domain")
        prefix = self.config["crisis_intent_prefix"]
        for intent in domain.intents:
            if intent.startswith(prefix) and intent not in self.config["crisis_responses"]:
                problems.append(f"crisis_responses: no response for risk intent '{intent}'")
        if problems:
            raise InvalidConfigException(
                "ActionFallbackPolicy (config.yml): " + "; ".join(problems)
            )

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self._next_action(tracker, domain)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain))
        logger.debug("ActionFallbackPolicy predicts '%s'.", action)
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    # --- what to do next --------------------------------------------------

    def _next_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        turn = _events_since_user_message(tracker)
        if turn is None:
            return None
        actions = [(i, e) for i, e in enumerate(turn) if isinstance(e, ActionExecuted)]
        names = [e.action_name for _, e in actions]
        loop_active = tracker.active_loop_name is not None

        # Risk inside a form: crisis reply, leave the form, listen.
        message = tracker.latest_message
        intent = (message.intent or {}).get("name") if message else None
        crisis = self.config["crisis_responses"].get(intent or "")
        if crisis:
            if not names and loop_active:
                return crisis
            if names == [crisis] and loop_active:
                return ACTION_DEACTIVATE_LOOP_NAME
            if names == [crisis, ACTION_DEACTIVATE_LOOP_NAME]:
                return ACTION_LISTEN_NAME

        if not actions:
            return None
        fallbacks: Dict[str, str] = self.config["fallback_responses"]
        last_index, last = actions[-1]

        # A custom action that left no events behind has failed.
        if last.action_name in fallbacks and last_index == len(turn) - 1:
            logger.warning("Action '%s' failed; sending a fixed reply.", last.action_name)
            return fallbacks[last.action_name]

        # After that fixed reply: leave the form (if any), then listen.
        failed = [
            k
            for k, ((i, action), (j, _)) in enumerate(zip(actions, actions[1:], strict=False))
            if action.action_name in fallbacks and j == i + 1
        ]
        if not failed:
            return None
        failed_action = names[failed[-1]]
        reply = fallbacks[failed_action]
        tail = names[failed[-1] + 1 :]
        if tail == [reply]:
            return ACTION_DEACTIVATE_LOOP_NAME if loop_active else ACTION_LISTEN_NAME
        if tail == [reply, ACTION_DEACTIVATE_LOOP_NAME]:
            return ACTION_LISTEN_NAME
        return None


def _events_since_user_message(tracker: DialogueStateTracker) -> Optional[List[Event]]:
    """The events after the latest user message (None before any user message)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].type_name == "user":
            return events[index + 1 :]
    return None
