"""Risk screen: any risk-related message gets a risk intent, whatever the classifier said.

A spaCy pass (blank English, lookup lemmatizer, Matcher + PhraseMatcher) over
a normalised copy of the message, with the patterns in risk_patterns.yml.
In the Rasa pipeline it runs after the intent classifier and before
FallbackClassifier: on a match it sets the risk intent at confidence 1.0 and
rewrites ``intent_ranking`` so no threshold can undo it. It is not trained.

Outside Rasa (tests, benchmarks): ``screen(text) -> Optional[RiskMatch]``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import spacy
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

PATTERNS_FILE = Path(__file__).with_name("risk_patterns.yml")
RISK_SCREEN_KEY = "risk_screen"
# When several kinds match, the first in this list wins.
KIND_ORDER = ("danger_now", "someone_else", "self", "urgent_help")
RISK_INTENTS = {
    "danger_now": "risk_danger_now",
    "someone_else": "risk_someone_else",
    "self": "risk_self",
    "urgent_help": "risk_urgent_help",
}
GENERAL = "general"
FALLBACK_INTENT = "nlu_fallback"
# Classifier-only risk on a weak score: a fixed check-in ("is anyone in danger
# right now?") with the urgent contacts and a one-tap way to the crisis reply.
SAFETY_CHECK_INTENT = "safety_check"
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`\u00b4]")
_OVERDOSED = re.compile(r"\bo\.?d'(?:e?d)\b|\boded\b|\bod'ing\b")
_OD = re.compile(r"\bo\.d\.?(?=\s|$)|\bod\b")
_WILL = re.compile(r"'ll\b")
_WOULD = re.compile(r"'d\b")
_ANY_MORE = re.compile(r"\bany more\b")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_LONG_RUN = re.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class RiskMatch:
    """What the screen found: the crisis kind, its intent and the pattern."""

    kind: str
    intent: str
    pattern: str

    def as_dict(self) -> Dict[str, str]:
        return asdict(self)


# Common words typed without their apostrophe: never "corrected".
_CONTRACTIONS = {
    "im", "ive", "id", "ill", "dont", "cant", "wont", "isnt", "wasnt", "doesnt", "didnt",
    "hes", "shes", "theyre", "theyve", "theres", "thats", "whats", "youre", "weve", "were",
    "couldnt", "shouldnt", "wouldnt", "arent", "havent", "hasnt", "lets", "its",
}


def _deletes(word: str) -> Set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return short in _deletes(long_)


class RiskMatcher:
    """Normaliser plus spaCy matchers built from one pattern file."""

    def __init__(self, patterns_file: Path = PATTERNS_FILE) -> None:
        spec = yaml.safe_load(patterns_file.read_text(encoding="utf-8"))
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        self.nlp.initialize()
        self._lemmatizer = self.nlp.get_pipe("lemmatizer")
        table = self._lemmatizer.lookups.get_table("lemma_lookup")
        self._spellings: Dict[str, str] = {
            str(k).lower(): str(v).lower() for k, v in (spec.get("spellings") or {}).items()
        }
        self._known_words: Set[str] = set(table.keys()) | set(table.values()) | _CONTRACTIONS

        raw_groups = spec.get("groups") or {}
        # Who is talked about: the typing person or someone else.
        self._person_words: Set[str] = set(raw_groups.get("person", [])) | set(
            raw_groups.get("refl_other", [])
        )
        self._me_words: Set[str] = set(raw_groups.get("me_words", [])) | {"me", "myself"}

        vocab: Set[str] = set()
        self._groups: Dict[str, List[str]] = {}
        for name, words in raw_groups.items():
            normalised = [self.normalise(str(w), fuzzy=False) for w in words]
            self._groups[name] = normalised
            vocab.update(normalised)

        self.matcher = Matcher(self.nlp.vocab)
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.veto_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self._rule_kind: Dict[str, Tuple[str, str]] = {}  # rule id -> (kind, pattern text)
        self._exact: Dict[str, str] = {}

        for kind, section in (spec.get("kinds") or {}).items():
            for text in section.get("exact", []) or []:
                self._exact[self.normalise(str(text), fuzzy=False)] = kind
            for text in section.get("phrases", []) or []:
                words = self.normalise(str(text), fuzzy=False).split()
                vocab.update(words)
                rule_id = f"{kind}:phrase:{text}"
                self._rule_kind[rule_id] = (kind, str(text))
                self.phrase_matcher.add(rule_id, [self._doc(words)])
            for text in section.get("patterns", []) or []:
                tokens, words = self._compile(str(text))
                vocab.update(words)
                rule_id = f"{kind}:pattern:{text}"
                self._rule_kind[rule_id] = (kind, str(text))
                self.matcher.add(rule_id, [tokens])
        for text in spec.get("not_risk", []) or []:
            self.veto_matcher.add(
                f"not_risk:{text}", [self._doc(self.normalise(str(text), fuzzy=False).split())]
            )

        self._vocab = {w for w in vocab if w.isalpha()}
        # Near misspellings of a few telling words ("suicdal", "myslef").
        self._fuzzy: Dict[str, List[str]] = {}
        for word in sorted(str(w) for w in spec.get("fuzzy_words") or []):
            for variant in _deletes(word) | {word}:
                self._fuzzy.setdefault(variant, []).append(word)

    # ----- normalising -----
    def normalise(self, text: str, fuzzy: bool = True) -> str:
        """Lower case, no apostrophes, no punctuation, fixed spellings."""
        text = _APOSTROPHES.sub("'", text.lower())
        # "he'll end it" must not read as "hell end it".
        text = _WILL.sub(" will", text)
        text = _WOULD.sub(" would", text)
        text = _ANY_MORE.sub("anymore", text)
        text = _OVERDOSED.sub(" overdosed ", text)
        text = _OD.sub(" overdose ", text)
        text = text.replace("&", " and ").replace("'", "")
        text = _NON_WORD.sub(" ", text)
        words: List[str] = []
        for word in text.split():
            words.extend(self._fix_word(word, fuzzy).split())
        return " ".join(words)

    def _fix_word(self, word: str, fuzzy: bool) -> str:
        if word in self._spellings:
            return self._spellings[word]
        if _LONG_RUN.search(word):
            two = _LONG_RUN.sub(r"\1\1", word)
            one = _LONG_RUN.sub(r"\1", word)
            for candidate in (two, one):
                if candidate in self._spellings:
                    return self._spellings[candidate]
                if fuzzy and (candidate in self._vocab or candidate in self._known_words):
                    return candidate
            word = two
        if (
            fuzzy
            and len(word) >= 4
            and word.isalpha()
            and word not in self._known_words
            and word not in self._vocab
        ):
            for variant in sorted(_deletes(word) | {word}):
                for target in self._fuzzy.get(variant, ()):
                    if _one_edit_apart(word, target):
                        return target
        return word

    def _doc(self, words: List[str]) -> Doc:
        return self._lemmatizer(Doc(self.nlp.vocab, words=words or [""]))

    def _lemmas(self, words: Iterable[str]) -> List[str]:
        words = list(words)
        return sorted({w for w in words} | {t.lemma_ for t in self._doc(words)})

    def _compile(self, pattern: str) -> Tuple[List[Dict[str, Any]], List[str]]:
        """The file's small token syntax -> a spaCy Matcher pattern."""
        tokens: List[Dict[str, Any]] = []
        vocab: List[str] = []
        for item in pattern.split():
            optional = len(item) > 1 and item.endswith("?")
            item = item[:-1] if optional else item
            if item == "*":
                tokens.append({"OP": "?"})
                continue
            if item.startswith("~@"):
                # Any one word, optional, except the group's (e.g. not a person word,
                # so "I found out my girlfriend self-harms now" is not about "I").
                excluded = self._lemmas(self._groups[item[2:]])
                tokens.append({"LEMMA": {"NOT_IN": excluded}, "OP": "?"})
                continue
            if item.startswith("="):
                token: Dict[str, Any] = {"LOWER": self.normalise(item[1:], fuzzy=False)}
            else:
                words: List[str] = []
                for part in item.split("|"):
                    if part.startswith("@"):
                        words.extend(self._groups[part[1:]])
                    else:
                        words.extend(self.normalise(part, fuzzy=False).split())
                vocab.extend(words)
                token = {"LEMMA": {"IN": self._lemmas(words)}}
            if optional:
                token["OP"] = "?"
            tokens.append(token)
        return tokens, vocab

    # ----- screening -----
    def screen(self, text: str) -> Optional[RiskMatch]:
        """The risk match for a message, or None for ordinary speech."""
        normalised = self.normalise(text or "")
        if not normalised:
            return None
        exact_kind = self._exact.get(normalised)
        if exact_kind:
            return RiskMatch(exact_kind, RISK_INTENTS[exact_kind], f"exact:{normalised}")
        doc = self._doc(normalised.split())
        vetoes = [(start, end) for _, start, end in self.veto_matcher(doc)]
        best: Optional[Tuple[int, int, RiskMatch]] = None
        for match_id, start, end in list(self.phrase_matcher(doc)) + list(self.matcher(doc)):
            if any(start < v_end and v_start < end for v_start, v_end in vetoes):
                continue
            kind, pattern = self._rule_kind[self.nlp.vocab.strings[match_id]]
            if kind == GENERAL or (
                kind in ("someone_else", "self") and not self._names_someone(doc[start:end])
            ):
                kind = self._who(doc, start)
            found = RiskMatch(kind, RISK_INTENTS[kind], pattern)
            rank = (KIND_ORDER.index(kind), start)
            if best is None or rank < best[:2]:
                best = (rank[0], rank[1], found)
        return best[2] if best else None

    def is_idiom(self, text: str) -> bool:
        """True when the message holds an ordinary idiom from ``not_risk``."""
        normalised = self.normalise(text or "")
        return bool(normalised) and bool(self.veto_matcher(self._doc(normalised.split())))

    def _names_someone(self, span: Iterable[Any]) -> bool:
        return any(t.text in self._me_words or t.text in self._person_words for t in span)

    def _who(self, doc: Doc, start: int) -> str:
        """self or someone_else, from the nearest person word before the match."""
        for token in reversed(doc[:start]):
            if token.text in self._me_words:
                return "self"
            if token.text in self._person_words:
                return "someone_else"
        return "self"


@lru_cache(maxsize=1)
def default_matcher() -> RiskMatcher:
    return RiskMatcher()


def screen(text: str) -> Optional[RiskMatch]:
    """Screens one message with the project's pattern file (no Rasa needed)."""
    return default_matcher().screen(text)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RiskScreen(GraphComponent, IntentClassifier):
    """Overrides the intent with a risk intent (confidence 1.0) on any risk match.

    When no pattern matches but the classifier's top intent is a risk intent
    (``promote_classifier_risk``, default true): at or above
    ``classifier_min_confidence`` it is raised to 1.0 (crisis reply); below
    it, down to ``classifier_check_min_confidence``, the message gets
    ``safety_check``, a fixed check-in that names 999 and Samaritans and offers
    the crisis reply in one tap (when in doubt, ask); lower scores get
    ``nlu_fallback``;
    an ordinary idiom ("killing time") gets ``nlu_fallback``, whose reply
    also names them. The classifier alone confuses carer talk ("she cuts")
    with risk too often to send the crisis reply on a weak score.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "promote_classifier_risk": True,
            "classifier_min_confidence": 0.7,
            "classifier_check_min_confidence": 0.3,
        }

    def __init__(self, config: Dict[str, Any], matcher: RiskMatcher) -> None:
        self.config = config
        self.matcher = matcher

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskScreen:
        return cls({**cls.get_default_config(), **config}, default_matcher())

    @staticmethod
    def screen(text: str) -> Optional[RiskMatch]:
        return screen(text)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get("text")
        if not text:
            return
        predicted = message.get(INTENT) or {}
        predicted_name = predicted.get(INTENT_NAME_KEY)
        found = self.matcher.screen(text)
        if found is None and self.config["promote_classifier_risk"]:
            kind = next((k for k, v in RISK_INTENTS.items() if v == predicted_name), None)
            if kind:
                confidence = float(predicted.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                if self.matcher.is_idiom(text):
                    found = RiskMatch(kind, FALLBACK_INTENT, "classifier-idiom")
                elif confidence >= self.config["classifier_min_confidence"]:
                    found = RiskMatch(kind, predicted_name, "classifier")
                elif confidence >= self.config["classifier_check_min_confidence"]:
                    found = RiskMatch(kind, SAFETY_CHECK_INTENT, "classifier-uncertain")
                else:
                    # A top score this low is noise among ~60 intents: the
                    # fallback reply, which still names 999 and Samaritans.
                    found = RiskMatch(kind, FALLBACK_INTENT, "classifier-weak")
        if found is None:
            return
        ranking = [
            {**entry, PREDICTED_CONFIDENCE_KEY: 0.0}
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get(INTENT_NAME_KEY) != found.intent
        ]
        risk_intent = {INTENT_NAME_KEY: found.intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, risk_intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [dict(risk_intent), *ranking], add_to_output=True)
        message.set(
            RISK_SCREEN_KEY,
            {
                **found.as_dict(),
                "classifier_intent": predicted_name,
                "classifier_confidence": predicted.get(PREDICTED_CONFIDENCE_KEY),
            },
            add_to_output=True,
        )
        # No message text in logs: only the kind and the pattern's id.
        logger.debug("Risk screen: %s (%s)", found.kind, found.pattern)
