"""Message guard: fixed replies for messages too long or too empty to read.

Runs after the risk screen, so a risk phrase anywhere in a long message still
gets the crisis reply. Only when no risk matched does it force:

* ``message_too_long`` for text over ``max_chars`` (default 2,000) characters;
* ``nlu_fallback`` for empty or whitespace-only text (the "didn't follow"
  reply with the menu).

Like every component that forces an intent, it rewrites ``intent_ranking`` too.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

TOO_LONG_INTENT = "message_too_long"
EMPTY_INTENT = "nlu_fallback"
# The risk screen routes matches to intents with these prefixes.
RISK_INTENT_PREFIXES = ("risk_", "crisis_")


def is_risk(message: Message) -> bool:
    """True when the risk screen (or the classifier) put a risk intent on top."""
    intent = message.get(INTENT) or {}
    name = str(intent.get(INTENT_NAME_KEY) or "")
    return name.startswith(RISK_INTENT_PREFIXES) or bool(message.get("risk_screen"))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MessageGuard(GraphComponent):
    """Forces fixed-reply intents for unreadable messages, never over risk."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_chars": 2000}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.max_chars = int(config.get("max_chars", 2000))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageGuard:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            forced = self.forced_intent(message)
            if forced:
                ranking = [{INTENT_NAME_KEY: forced, "confidence": 1.0}]
                message.set(INTENT, dict(ranking[0]), add_to_output=True)
                message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def forced_intent(self, message: Message) -> Optional[str]:
        if is_risk(message):
            return None
        text = message.get(TEXT)
        text = text if isinstance(text, str) else ""
        if len(text) > self.max_chars:
            return TOO_LONG_INTENT
        if not text.strip():
            return EMPTY_INTENT
        return None
