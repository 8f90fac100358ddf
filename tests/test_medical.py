"""Medical questions get the fixed "I can't give medical advice" reply, never a content answer."""

from __future__ import annotations

import uuid
from typing import List

import pytest

from tests.support import InProcessBot, reply_texts

MEDICAL_REPLY = "utter_medical_advice"

# Content answers (topics 7-11) start with these; a medical question must never get one.
CONTENT_PREFIXES = (
    "utter_topic_",
    "utter_professional_",
    "utter_self_help_",
    "utter_scars_",
    "utter_i_self_harm",
)

# Phrased differently from the training examples in data/nlu.yml.
MEDICAL_QUESTIONS = [
    "how many mg of sertraline should my daughter take",
    "is it ok to give my son ibuprofen",
    "what should i put on the cuts on her arm",
    "how should I dress a burn on my partner's hand",
    "the wound looks red and swollen, is it infected?",
    "does my son have borderline personality disorder",
    "can you tell me if my wife has depression",
    "what's a normal dose of citalopram",
    "should my dad stop his antidepressants",
    "what are the side effects of sertraline",
    "how do I look after a burn",
    "which plasters are best for cuts",
    "is it bipolar or depression",
    "what ointment should go on a graze",
    "can my teen drink alcohol on fluoxetine",
    "whats the best antiseptic for a wound",
    "wat cream shud i put on her cut",
]

# Content questions about medicine or wounds that must NOT get the medical reply.
# Getting help from a GP, doctor, hospital or mental health team is a
# professional-help question, not a treatment question (phrased differently
# from data/nlu.yml).
CONTENT_QUESTIONS = [
    ("will my daughter be offered medication for self harm", "utter_professional_therapy_"),
    ("how can my son make his scars fade", "utter_scars_reduce_"),
    ("what should A&E do when my wife goes in after self harming", "utter_professional_hospital_"),
    ("should I bring my daughter to see the doctor about it", "utter_topic_professional_help_"),
    ("is it a good idea to take my son to his GP", "utter_topic_professional_help_"),
    ("how do I get my partner to a doctor for help with self harming",
     "utter_topic_professional_help_"),
    ("can the GP send my daughter to the mental health team", "utter_professional_referral_"),
    ("what care will my wife get in hospital after self harming", "utter_professional_hospital_"),
    ("can I see a doctor myself, I'm not coping with my son's self harm",
     "utter_self_care_own_gp"),
    ("should I lock up the medicines in our house", "utter_helping_medicines_at_home"),
]


def bot_actions(bot: InProcessBot, sender: str) -> List[str]:
    """Names of the responses the bot sent in this conversation, in order."""
    tracker = bot.tracker(sender)
    return [
        e.metadata.get("utter_action", "")
        for e in tracker.events
        if getattr(e, "type_name", "") == "bot"
    ]


@pytest.mark.parametrize("question", MEDICAL_QUESTIONS)
def test_medical_question_gets_medical_advice_reply(bot: InProcessBot, question: str) -> None:
    sender = uuid.uuid4().hex
    texts = " ".join(reply_texts(bot.send(question, sender=sender)))
    actions = bot_actions(bot, sender)
    assert actions and actions[-1] == MEDICAL_REPLY, (question, actions)
    assert not any(a.startswith(CONTENT_PREFIXES) for a in actions), (question, actions)
    assert "can't give medical advice" in texts
    assert "GP" in texts and "999" in texts and "A&E" in texts


@pytest.mark.parametrize("question,expected_prefix", CONTENT_QUESTIONS)
def test_content_question_is_not_treated_as_medical(
    bot: InProcessBot, question: str, expected_prefix: str
) -> None:
    sender = uuid.uuid4().hex
    bot.send(question, sender=sender)
    actions = bot_actions(bot, sender)
    assert MEDICAL_REPLY not in actions, (question, actions)
    assert any(a.startswith(expected_prefix) for a in actions), (question, actions)


def test_medical_reply_offers_a_next_step(bot: InProcessBot) -> None:
    replies = bot.send("what dose of quetiapine is usual for my son")
    buttons = [b["payload"] for m in replies for b in (m.get("buttons") or [])]
    assert "/show_menu" in buttons
