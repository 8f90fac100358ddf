"""CarerDetailsExtractor: details said in passing become canonical entities only.

Positive cases for every entity and value (varied wording, typos, lower and
upper case), negatives (durations, years, phone numbers, counts, negated
contact, conflicting values, no details), and the privacy rule: an entity's
value is only ever one of the fixed canonical values, never the user's words.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.carer_details import (
    CANONICAL,
    CONFIDENCE_KEY,
    MAX_CHARS,
    CarerDetailsExtractor,
    detail_spans,
    find_details,
)

# (text, entity, expected canonical value)
POSITIVE: List[Tuple[str, str, str]] = [
    # --- age_group: under_18
    ("My 15 year old is cutting herself", "age_group", "under_18"),
    ("she's 16", "age_group", "under_18"),
    ("he is 14 and won't talk to me", "age_group", "under_18"),
    ("we have a 17-year-old at home", "age_group", "under_18"),
    ("my 15yo", "age_group", "under_18"),
    ("my 16 y/o daughter", "age_group", "under_18"),
    ("my teenage son", "age_group", "under_18"),
    ("she's a teenager", "age_group", "under_18"),
    ("he's in year 10", "age_group", "under_18"),
    ("she is still at school", "age_group", "under_18"),
    ("My son (15) has been self harming", "age_group", "under_18"),
    ("my daughter, 13, told me last night", "age_group", "under_18"),
    ("Sarah is 15 and I don't know what to do", "age_group", "under_18"),
    ("he just turned 16", "age_group", "under_18"),
    ("she'll be 17 next month", "age_group", "under_18"),
    ("she's under 18", "age_group", "under_18"),
    ("shes in yr 9", "age_group", "under_18"),
    ("my twelve year old", "age_group", "under_18"),
    ("she is fifteen", "age_group", "under_18"),
    ("hes 15", "age_group", "under_18"),
    ("my 15yrs old son", "age_group", "under_18"),
    ("MY SON IS 15", "age_group", "under_18"),
    ("he's in year10", "age_group", "under_18"),
    ("my daugther is 14", "age_group", "under_18"),
    # --- age_group: 18_to_24
    ("aged 19", "age_group", "18_to_24"),
    ("my son is 21", "age_group", "18_to_24"),
    ("she's twenty-two", "age_group", "18_to_24"),
    ("he's in his early 20s", "age_group", "18_to_24"),
    ("my 19 year old", "age_group", "18_to_24"),
    ("a 23-year-old", "age_group", "18_to_24"),
    ("my daughter is 18 now", "age_group", "18_to_24"),
    # --- age_group: 25_to_55
    ("I'm 45", "age_group", "25_to_55"),
    ("my husband is 38", "age_group", "25_to_55"),
    ("she is in her 40s", "age_group", "25_to_55"),
    ("he's in his thirties", "age_group", "25_to_55"),
    ("my 30 year old son", "age_group", "25_to_55"),
    ("aged 55", "age_group", "25_to_55"),
    ("my brother is 25", "age_group", "25_to_55"),
    # --- age_group: over_55
    ("my 80 year old mum", "age_group", "over_55"),
    ("he's in his 60s", "age_group", "over_55"),
    ("my elderly mum", "age_group", "over_55"),
    ("my dad is a pensioner", "age_group", "over_55"),
    ("she's 70", "age_group", "over_55"),
    ("my mum is over 60", "age_group", "over_55"),
    ("a service for people aged 55 plus", "age_group", "over_55"),
    ("support line for over 60s", "age_group", "over_55"),
    ("he's 56", "age_group", "over_55"),
    ("my gran is in her late fifties", "age_group", "over_55"),
    # --- relationship: child
    ("I'm worried about my son", "relationship", "child"),
    ("our daughter has been cutting", "relationship", "child"),
    ("my child", "relationship", "child"),
    ("my kid won't eat", "relationship", "child"),
    ("my lad", "relationship", "child"),
    ("my little girl", "relationship", "child"),
    ("my stepson", "relationship", "child"),
    ("my step-daughter", "relationship", "child"),
    ("my teen", "relationship", "child"),
    ("my 15 year old", "relationship", "child"),
    ("MY SON", "relationship", "child"),
    ("my daugther", "relationship", "child"),
    ("our eldest", "relationship", "child"),
    ("our little one", "relationship", "child"),
    ("my 16yo", "relationship", "child"),
    # --- relationship: partner
    ("my partner", "relationship", "partner"),
    ("my husband", "relationship", "partner"),
    ("my wife", "relationship", "partner"),
    ("my boyfriend", "relationship", "partner"),
    ("my girlfriend", "relationship", "partner"),
    ("my fiancé", "relationship", "partner"),
    ("my fiancee", "relationship", "partner"),
    ("my other half", "relationship", "partner"),
    ("my hubby", "relationship", "partner"),
    # --- relationship: parent
    ("my mum", "relationship", "parent"),
    ("my mom", "relationship", "parent"),
    ("my dad", "relationship", "parent"),
    ("my mother", "relationship", "parent"),
    ("my father", "relationship", "parent"),
    ("my mam", "relationship", "parent"),
    ("my elderly mum", "relationship", "parent"),
    ("my 80 year old mum", "relationship", "parent"),
    # --- relationship: sibling
    ("my brother", "relationship", "sibling"),
    ("my sister", "relationship", "sibling"),
    ("my little sister", "relationship", "sibling"),
    ("my half-brother", "relationship", "sibling"),
    ("my twin", "relationship", "sibling"),
    # --- relationship: friend
    ("my friend", "relationship", "friend"),
    ("my mate", "relationship", "friend"),
    ("my best friend", "relationship", "friend"),
    ("my bestie", "relationship", "friend"),
    ("my flatmate", "relationship", "friend"),
    ("my housemate", "relationship", "friend"),
    ("my freind", "relationship", "friend"),
    # --- relationship: other_family
    ("my grandson", "relationship", "other_family"),
    ("my granddaughter", "relationship", "other_family"),
    ("my niece", "relationship", "other_family"),
    ("my nephew", "relationship", "other_family"),
    ("my cousin", "relationship", "other_family"),
    ("my aunt", "relationship", "other_family"),
    ("my uncle", "relationship", "other_family"),
    ("my gran", "relationship", "other_family"),
    ("my grandad", "relationship", "other_family"),
    ("my grandma", "relationship", "other_family"),
    ("my mother-in-law", "relationship", "other_family"),
    ("my in-laws", "relationship", "other_family"),
    ("my grand-son", "relationship", "other_family"),
    ("my significant other", "relationship", "partner"),
    # --- relationship: the first "my/our X" wins
    ("my partner and I are worried about our son", "relationship", "partner"),
    ("my son told my wife", "relationship", "child"),
    # --- nation
    ("we live in England", "nation", "england"),
    ("I'm in London", "nation", "england"),
    ("from manchester", "nation", "england"),
    ("we're in Cornwall", "nation", "england"),
    ("we live in Reading", "nation", "england"),
    ("Cheltenham", "nation", "england"),
    ("we're in Glasgow", "nation", "scotland"),
    ("Edinburgh", "nation", "scotland"),
    ("near aberdeen", "nation", "scotland"),
    ("Dundee", "nation", "scotland"),
    ("I live in Scotland", "nation", "scotland"),
    ("we're in Cardiff", "nation", "wales"),
    ("I live near Swansea", "nation", "wales"),
    ("Newport", "nation", "wales"),
    ("wales", "nation", "wales"),
    ("from Belfast", "nation", "northern_ireland"),
    ("Derry", "nation", "northern_ireland"),
    ("we live in Northern Ireland", "nation", "northern_ireland"),
    ("londonderry", "nation", "northern_ireland"),
    # --- region
    ("we live in Gloucestershire", "region", "Gloucestershire"),
    ("I live in Gloucester", "region", "Gloucestershire"),
    ("cheltenham", "region", "Gloucestershire"),
    ("near Stroud", "region", "Gloucestershire"),
    ("Tewkesbury", "region", "Gloucestershire"),
    ("in Cirencester", "region", "Gloucestershire"),
    ("the Forest of Dean", "region", "Gloucestershire"),
    ("glos", "region", "Gloucestershire"),
    # --- contact_method: phone
    ("I'd prefer to call", "contact_method", "phone"),
    ("can I ring them", "contact_method", "phone"),
    ("I'd rather talk on the phone", "contact_method", "phone"),
    ("by phone please", "contact_method", "phone"),
    ("Phone", "contact_method", "phone"),
    ("I'll give them a ring", "contact_method", "phone"),
    ("I'd like to speak to someone over the phone", "contact_method", "phone"),
    ("is there a phone line", "contact_method", "phone"),
    # --- contact_method: text
    ("can I text", "contact_method", "text"),
    ("by text", "contact_method", "text"),
    ("I'd rather message", "contact_method", "text"),
    ("text please", "contact_method", "text"),
    ("texting is easier", "contact_method", "text"),
    ("can I whatsapp them", "contact_method", "text"),
    ("is there a text service", "contact_method", "text"),
    ("i'd rather txt", "contact_method", "text"),
    ("I can't talk on the phone, can I text instead", "contact_method", "text"),
    ("I don't mind texting", "contact_method", "text"),
    # --- contact_method: online
    ("is there a webchat", "contact_method", "online"),
    ("online chat would be good", "contact_method", "online"),
    ("can I email", "contact_method", "online"),
    ("by email", "contact_method", "online"),
    ("I'd rather do it online", "contact_method", "online"),
    ("is there a web chat", "contact_method", "online"),
    ("an online forum", "contact_method", "online"),
    ("email is easier", "contact_method", "online"),
    # --- service_for: carer
    ("it's for me", "service_for", "carer"),
    ("it's for myself", "service_for", "carer"),
    ("support for me as a carer", "service_for", "carer"),
    ("is there support for me", "service_for", "carer"),
    ("help for parents", "service_for", "carer"),
    ("groups for carers", "service_for", "carer"),
    # --- service_for: loved_one
    ("it's for him", "service_for", "loved_one"),
    ("for her", "service_for", "loved_one"),
    ("it's for them", "service_for", "loved_one"),
    ("support for my son", "service_for", "loved_one"),
    ("help for my daughter", "service_for", "loved_one"),
    ("something for my partner", "service_for", "loved_one"),
    ("for my 15 year old", "service_for", "loved_one"),
    ("for my loved one", "service_for", "loved_one"),
    ("for the person I care for", "service_for", "loved_one"),
]

# (text, entity, value that must NOT be given; None: no value at all)
NEGATIVE: List[Tuple[str, str, Optional[str]]] = [
    # Durations, years, phone numbers, ratios, counts and measures are not ages.
    ("she's been cutting for 2 years", "age_group", None),
    ("it lasted 15 minutes", "age_group", None),
    ("it started 3 months ago", "age_group", None),
    ("it began in 2019", "age_group", None),
    ("year 2024 was awful", "age_group", None),
    ("call 999 if in danger", "age_group", None),
    ("Samaritans are on 116 123", "age_group", None),
    ("the number is 0800 58 58 58", "age_group", None),
    ("1 in 4 young people self harm", "age_group", None),
    ("they're open 24 hours", "age_group", None),
    ("I've had 10 sessions", "age_group", None),
    ("she is 5 foot 2", "age_group", None),
    ("he took 20 tablets", "age_group", None),
    ("it is 10 pm", "age_group", None),
    ("the wait is 12 weeks", "age_group", None),
    ("she's been 15 minutes", "age_group", None),
    ("she's 30% better", "age_group", None),
    ("he is 100 percent sure", "age_group", None),
    ("she is 15-16", "age_group", None),
    ("she is 3", "age_group", None),
    ("support for 16 to 25 year olds", "age_group", None),
    ("my mum's scars are 20 years old", "age_group", None),
    ("he's 18+", "age_group", None),
    ("there were over 60 people there", "age_group", None),
    # Ages in the past, or bands that straddle a cut-off.
    ("she started at age 12", "age_group", None),
    ("she was 13 when it started", "age_group", None),
    ("since she was 13 years old", "age_group", None),
    ("I self harmed as a teenager", "age_group", None),
    ("she's not a teenager anymore", "age_group", None),
    ("he's over 18", "age_group", None),
    ("she's in her late teens", "age_group", None),
    ("in the 60s things were different", "age_group", None),
    # Conflicting ages: ambiguous, so none.
    ("she's 15 and he's 20", "age_group", None),
    ("I'm 45 and my son is 15", "age_group", None),
    ("my 16 and 18 year olds", "age_group", None),
    # Negated or non-preference contact.
    ("I can't phone", "contact_method", None),
    ("I can't call", "contact_method", "phone"),
    ("I don't want to call", "contact_method", "phone"),
    ("don't want to ring them", "contact_method", "phone"),
    ("I'm too anxious to phone", "contact_method", "phone"),
    ("I hate phone calls", "contact_method", "phone"),
    ("no phone calls please", "contact_method", "phone"),
    ("I'd rather not call, text is better", "contact_method", "phone"),
    ("I'd text rather than call", "contact_method", "phone"),
    ("I want to text him", "contact_method", "text"),
    ("can I call 999", "contact_method", None),
    ("can I call the police", "contact_method", None),
    ("he sent me a text", "contact_method", None),
    ("my phone is broken", "contact_method", None),
    ("he's always on the phone", "contact_method", None),
    ("should i stay on the phone with her", "contact_method", None),
    ("will the text show up on the phone bill", "contact_method", None),
    ("I got an email from school", "contact_method", None),
    ("phone or text is fine", "contact_method", None),
    # Not who the support is for.
    ("it's hard for me to talk about", "service_for", None),
    ("I'm so worried for her", "service_for", None),
    ("is it normal for her to do this", "service_for", None),
    ("I feel sorry for him", "service_for", None),
    ("I care for my brother about 40 hours a week", "service_for", None),
    ("what does it feel like for her", "service_for", None),
    ("for me and my son", "service_for", None),
    # Places: conflicts, negation, ordinary words, elsewhere.
    ("we moved from Glasgow to London", "nation", None),
    ("I'm not in Scotland", "nation", None),
    ("I was reading about self harm", "nation", None),
    ("New South Wales", "nation", None),
    ("Cardiff and Cheltenham", "region", None),
    ("we're in South Gloucestershire", "region", None),
    # Relationship needs "my"/"our" and a relation.
    ("I'm a mum", "relationship", None),
    ("his son is struggling", "relationship", None),
    ("her brother told me", "relationship", None),
    ("my old school", "relationship", None),
]

NO_DETAILS = [
    "",
    "   ",
    "hi",
    "thanks",
    "what is self-harm?",
    "How do I talk about it without making it worse?",
    "what should I say",
    "I don't know what to do",
]

# Messages full of personal words (names, numbers, addresses): no value may echo them.
PRIVATE_TEXTS: Dict[str, List[str]] = {
    "My daughter Jessica Smith, 15, lives at 12 Acacia Road, Cheltenham GL50 1AA": [
        "jessica", "smith", "15", "12", "acacia", "road", "cheltenham", "gl50", "1aa"],
    "I'm Bob, 07700 900123, my son Tom is 16 and I'd rather text": [
        "bob", "07700", "900123", "tom", "16", "son"],
    "email me at jane.doe@example.com, my husband Dave is 47 and we're in Glasgow": [
        "jane", "doe", "example", "@", "dave", "47", "glasgow", "husband"],
    "for my mum Margaret who is 82, we live in Swansea, please call them": [
        "margaret", "82", "swansea", "mum"],
}


def _all_texts() -> List[str]:
    texts = [t for t, _, _ in POSITIVE] + [t for t, _, _ in NEGATIVE]
    return texts + NO_DETAILS + list(PRIVATE_TEXTS)


@pytest.mark.parametrize(("text", "entity", "value"), POSITIVE)
def test_positive(text: str, entity: str, value: str) -> None:
    assert find_details(text).get(entity) == value


@pytest.mark.parametrize(("text", "entity", "forbidden"), NEGATIVE)
def test_negative(text: str, entity: str, forbidden: Optional[str]) -> None:
    got = find_details(text).get(entity)
    if forbidden is None:
        assert got is None
    else:
        assert got != forbidden


@pytest.mark.parametrize("text", NO_DETAILS)
def test_no_details(text: str) -> None:
    assert find_details(text) == {}


def test_enough_cases_for_every_value() -> None:
    assert len(POSITIVE) >= 80
    covered = {(entity, value) for _, entity, value in POSITIVE}
    expected = {(entity, value) for entity, values in CANONICAL.items() for value in values}
    assert expected <= covered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "My 15 year old daughter in Cheltenham, I'd rather text",
            {
                "age_group": "under_18",
                "relationship": "child",
                "nation": "england",
                "region": "Gloucestershire",
                "contact_method": "text",
            },
        ),
        (
            "is there support for me? my husband is 62 and we live in Edinburgh",
            {
                "age_group": "over_55",
                "relationship": "partner",
                "nation": "scotland",
                "service_for": "carer",
            },
        ),
        (
            "i need help for my 19 yo son in belfast, can i email",
            {
                "age_group": "18_to_24",
                "relationship": "child",
                "nation": "northern_ireland",
                "contact_method": "online",
                "service_for": "loved_one",
            },
        ),
        ("I live in Gloucester", {"nation": "england", "region": "Gloucestershire"}),
        ("we're in South Gloucestershire", {"nation": "england"}),
    ],
)
def test_full_messages(text: str, expected: Dict[str, str]) -> None:
    assert find_details(text) == expected


@pytest.mark.parametrize("text", _all_texts())
def test_values_only_from_fixed_sets(text: str) -> None:
    for entity, value in find_details(text).items():
        assert entity in CANONICAL
        assert value in CANONICAL[entity]


@pytest.mark.parametrize(("text", "private"), PRIVATE_TEXTS.items())
def test_no_user_words_in_values(text: str, private: List[str]) -> None:
    found = find_details(text)
    assert found  # these messages do carry details...
    for entity, value in found.items():
        assert value in CANONICAL[entity]  # ...only ever as canonical values
        assert not any(word in value.lower() for word in private)


@pytest.mark.parametrize("text", PRIVATE_TEXTS)
def test_spans_carry_offsets_not_text(text: str) -> None:
    for detail in detail_spans(text):
        assert 0 <= detail.start < detail.end <= len(text)
        assert detail.value in CANONICAL[detail.entity]


def test_offsets_point_at_the_mention() -> None:
    text = "Hello. We live in Cheltenham and my son is 15"
    spans = {d.entity: text[d.start:d.end] for d in detail_spans(text)}
    assert "Cheltenham" in spans["region"]
    assert "son" in spans["relationship"]
    assert "15" in spans["age_group"]


def test_only_the_first_max_chars_are_read() -> None:
    filler = "I don't know what to do. " * (MAX_CHARS // 25 + 1)
    assert find_details(filler + "my son is 15") == {}
    assert find_details("my son is 15. " + filler) == {
        "age_group": "under_18", "relationship": "child"}


# --- Rasa component ----------------------------------------------------------


@pytest.fixture()
def extractor(tmp_path: Path) -> CarerDetailsExtractor:
    return CarerDetailsExtractor.create(
        CarerDetailsExtractor.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("carer_details"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_registered_as_untrained_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(CarerDetailsExtractor.__name__)
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert registered.is_trainable is False


def test_process_adds_canonical_entities(extractor: CarerDetailsExtractor) -> None:
    text = "My 15 year old daughter in Cheltenham, I'd rather text"
    message = Message(data={TEXT: text})
    extractor.process([message])
    entities = message.get(ENTITIES)
    by_type = {e["entity"]: e for e in entities}
    assert {k: e["value"] for k, e in by_type.items()} == find_details(text)
    for entity in entities:
        assert entity["extractor"] == "CarerDetailsExtractor"
        assert entity[CONFIDENCE_KEY] == 1.0
        assert set(entity) == {"entity", "value", "start", "end", "extractor", CONFIDENCE_KEY}
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert entity["value"] in CANONICAL[entity["entity"]]
    assert ENTITIES in message.output_properties


def test_process_appends_to_existing_entities(extractor: CarerDetailsExtractor) -> None:
    existing = {"entity": "other", "value": "x", "start": 0, "end": 1, "extractor": "Other"}
    message = Message(data={TEXT: "she's 16", ENTITIES: [existing]})
    extractor.process([message])
    entities = message.get(ENTITIES)
    assert entities[0] == existing
    assert [(e["entity"], e["value"]) for e in entities[1:]] == [("age_group", "under_18")]


@pytest.mark.parametrize(
    "payload",
    ['/inform{"age_group":"under_18"}', '/inform{"contact_method":"phone"}', "/show_menu",
     "  /greet"],
)
def test_button_payloads_are_skipped(extractor: CarerDetailsExtractor, payload: str) -> None:
    message = Message(data={TEXT: payload})
    extractor.process([message])
    assert message.get(ENTITIES) is None
    assert find_details(payload) == {}


def test_process_tolerates_missing_or_empty_text(extractor: CarerDetailsExtractor) -> None:
    messages = [Message(data={}), Message(data={TEXT: ""}), Message(data={TEXT: "hello"})]
    extractor.process(messages)
    assert all(not m.get(ENTITIES) for m in messages)


def test_process_never_copies_user_text(extractor: CarerDetailsExtractor) -> None:
    allowed = {value for values in CANONICAL.values() for value in values}
    for text in PRIVATE_TEXTS:
        message = Message(data={TEXT: text})
        extractor.process([message])
        for entity in message.get(ENTITIES):
            strings = {v for v in entity.values() if isinstance(v, str)}
            assert strings <= allowed | set(CANONICAL) | {"CarerDetailsExtractor"}


# --- Properties ----------------------------------------------------------------

_WORDS = [
    "my", "our", "son", "daughter", "mum", "he's", "she", "is", "aged", "15", "16", "19",
    "45", "62", "999", "116", "123", "2019", "year", "years", "old", "yo", "minutes",
    "hours", "in", "his", "60s", "early", "20s", "for", "me", "him", "can't", "phone",
    "text", "email", "online", "rather", "prefer", "by", "not", "Glasgow", "Cardiff",
    "Belfast", "Cheltenham", "London", "and", "but", ",", ".", "teenager", "elderly",
    "under", "over", "18s", "yr", "10", "twenty", "-", "one", "Jessica", "07700",
]


def test_any_mix_of_words_gives_only_canonical_values() -> None:
    # Seeded, so reproducible (and no Hypothesis cache directory in the repo).
    rng = random.Random(20261202)
    for _ in range(500):
        words = rng.choices(_WORDS, k=rng.randint(0, 14))
        for entity, value in find_details(" ".join(words)).items():
            assert value in CANONICAL[entity]


def test_arbitrary_text_never_fails() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(32, 0x250)] + ["\u2019", "\u202e", "\x00", "😀", "\n"]
    for _ in range(300):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 200)))
        found: Dict[str, Any] = find_details(text)
        assert all(value in CANONICAL[entity] for entity, value in found.items())


def test_a_lone_surrogate_is_read_not_raised() -> None:
    """JSON may carry "\\ud800"; spaCy cannot hash it, so it must not reach spaCy."""
    assert find_details("\ud800") == {}
    assert find_details("my son \ud800 is worried") == {"relationship": "child"}
