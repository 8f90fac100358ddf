"""Risk screen: any risk-related message gets a risk intent, whatever the classifier said.

A spaCy pass (blank English, lookup lemmatizer) over a normalised copy of the
message, then token patterns (``TokenPatterns``: spaCy Matcher semantics,
indexed by a rare word) from risk_patterns.yml: a warning-sign taxonomy
(docs/safety/risk-taxonomy.md) whose categories each give a crisis kind.
Vetoes: idioms (``not_risk``) and scoped cues (negation, the distant past...).
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
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

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
# A weak risk signal (model or classifier, no pattern): the gentle crisis
# reply, which asks and still gives every urgent contact.
CHECK_KIND = "check"
CHECK_INTENT = "risk_check"
# Where components.risk_model.RiskModel puts its score (no import: the screen
# must load and work without the model).
RISK_MODEL_KEY = "risk_model"
# A risk intent from the classifier alone that the model does not back.
UNCORROBORATED = "classifier-uncorroborated"
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`\u00b4]")
_OVERDOSED = re.compile(r"\bo\.?d'(?:e?d)\b|\boded\b|\bod'ing\b")
_OD = re.compile(r"\bo\.d\.?(?=\s|$)|\bod\b")
_WILL = re.compile(r"'ll\b")
_WOULD = re.compile(r"'d\b")
_ANY_MORE = re.compile(r"\bany more\b")
# "him self", "my self": one word, so "kill him self" is not about killing him.
_SPLIT_SELF = re.compile(r"\b(my|him|her|them|your|our) (self|selves)\b")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_LONG_RUN = re.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class RiskMatch:
    """What the screen found: the crisis kind, its intent, the pattern and its category."""

    kind: str
    intent: str
    pattern: str
    # The warning-sign category of risk_patterns.yml ("" when no pattern decided).
    category: str = ""

    def as_dict(self) -> Dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Category:
    """One warning sign of the taxonomy: its crisis kind, sources and patterns."""

    name: str
    kind: str
    description: str
    sources: Tuple[str, ...]
    patterns: Tuple[str, ...]


@dataclass(frozen=True)
class _Item:
    """One token of a pattern: what it accepts, and whether it may be skipped."""

    test: str  # any | match | not_in
    words: FrozenSet[str]  # words and lemmas (match: any of them; not_in: none of them)
    optional: bool
    wildcard: bool  # `*` or `~@lexicon`: any word (the negation veto looks inside these)
    exact: FrozenSet[str] = frozenset()  # `=word`: this form only
    number: bool = False  # `#`
    year: bool = False  # `#year`

    def accepts(self, text: str, lemma: str, like_num: bool, shape: str) -> bool:
        if self.test == "match":
            return (
                lemma in self.words
                or text in self.words
                or text in self.exact
                or (self.number and like_num)
                or (self.year and shape == "dddd")
            )
        if self.test == "any":
            return True
        return lemma not in self.words and text not in self.words


class TokenPatterns:
    """Token patterns over lemmas, indexed by their first required word.

    Same semantics as a spaCy Matcher with ``IN``/``NOT_IN`` and ``OP: ?``
    (every match of every length, with the pattern position of each token),
    but it only tries the patterns whose first required word is in the
    message, so hundreds of patterns stay well under a millisecond.
    """

    def __init__(self) -> None:
        self._patterns: List[Tuple[str, Tuple[_Item, ...], int]] = []
        self._by_lemma: Dict[str, List[int]] = {}
        self._by_text: Dict[str, List[int]] = {}
        self._by_test: Dict[str, List[int]] = {}

    def add(self, key: str, items: Tuple[_Item, ...]) -> None:
        # Anchor on the rarest required item: "@me * * hope|pray ..." is tried only
        # where "hope" or "pray" occurs, not at every "I".
        first = min(
            (i for i, item in enumerate(items) if not item.optional),
            key=lambda i: _commonness(items[i]),
        )
        index = len(self._patterns)
        self._patterns.append((key, items, first))
        item = items[first]
        if item.test != "match":
            self._by_test.setdefault(item.test, []).append(index)
            return
        for word in item.words:
            self._by_lemma.setdefault(word, []).append(index)
        for word in item.exact:
            self._by_text.setdefault(word, []).append(index)
        if item.number:
            self._by_test.setdefault("num", []).append(index)
        if item.year:
            self._by_test.setdefault("year", []).append(index)

    def __call__(self, doc: Doc) -> List[Tuple[str, int, int, Tuple[int, ...]]]:
        """(key, start, end, pattern position of each token) for every match."""
        tokens = [(t.text, t.lemma_, bool(t.like_num), t.shape_) for t in doc]
        found: Set[Tuple[str, int, int, Tuple[int, ...]]] = set()
        always = self._by_test.get("any", []) + self._by_test.get("not_in", [])
        for i, (text, lemma, like_num, shape) in enumerate(tokens):
            candidates = set(self._by_lemma.get(lemma, ())) | set(self._by_lemma.get(text, ()))
            candidates.update(self._by_text.get(text, ()))
            candidates.update(always)
            if like_num:
                candidates.update(self._by_test.get("num", ()))
            if shape == "dddd":
                candidates.update(self._by_test.get("year", ()))
            for index in candidates:
                key, items, first = self._patterns[index]
                # The items before the anchor take at most one word each before i.
                for start in range(max(0, i - first), i + 1):
                    for prefix_end, prefix in _match(items[:first], tokens, 0, start, ()):
                        if prefix_end != i:
                            continue
                        for end, alignment in _match(items, tokens, first, i, prefix):
                            found.add((key, start, end, alignment))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))


# Words in most messages: a poor anchor for a pattern.
_COMMON_WORDS = frozenset(
    "i im ive id me my myself you your he she hes shes him her his they them their we us "
    "it its a an the to of and or but in on at for with be is am are was were been do does "
    "did have has had get got go going went want can will would not no so just this that "
    "what who how all some son daughter mum dad".split()
)


def _commonness(item: _Item) -> int:
    if item.test != "match":
        return 1_000_000
    cost = sum(1000 if word in _COMMON_WORDS else 1 for word in item.words)
    return cost + len(item.exact) + (500 if item.number or item.year else 0)


def _match(
    items: Tuple[_Item, ...],
    tokens: List[Tuple[str, str, bool, str]],
    j: int,
    pos: int,
    alignment: Tuple[int, ...],
    star_skipped: bool = False,
) -> Iterable[Tuple[int, Tuple[int, ...]]]:
    """Every way items[j:] matches tokens from pos: (end, pattern position per token).

    A run of `*` that takes m words takes them with its first m stars, so
    "* * *" over one word is tried once, not three times.
    """
    if j == len(items):
        yield pos, alignment
        return
    item = items[j]
    star = item.test == "any"
    if item.optional:
        yield from _match(items, tokens, j + 1, pos, alignment, star)
        if star and star_skipped:
            return
    if pos < len(tokens) and item.accepts(*tokens[pos]):
        yield from _match(items, tokens, j + 1, pos + 1, alignment + (j,))


@dataclass(frozen=True)
class _Rule:
    category: str
    kind: str
    pattern: str
    items: Tuple[_Item, ...]


@dataclass(frozen=True)
class _Scope:
    """A scoped veto (negation, the distant past): cue spans near a match cancel it."""

    name: str
    before: int
    after: int
    inside: bool
    breaks: FrozenSet[str]
    # The scope does not apply to a message with one of these words ("my son", "myself").
    named: FrozenSet[str] = frozenset()
    # The categories it applies to (empty: all).
    categories: FrozenSet[str] = frozenset()


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
    """Normaliser plus spaCy matchers built from one warning-sign taxonomy file."""

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

        # Which lexicons the patterns, vetoes and this code use (tests: none unused).
        self.used_lexicons: Set[str] = set()
        raw_lexicons: Dict[str, List[Any]] = spec.get("lexicons") or {}
        self._lexicons: Dict[str, List[str]] = {}
        for name in raw_lexicons:
            self._lexicon(str(name), raw_lexicons, ())
        # Who is talked about: the typing person or someone else.
        self._person_words: Set[str] = set(self._use("people")) | set(
            self._use("reflexive_other")
        )
        self._me_words: Set[str] = set(self._use("me")) | {"me", "myself"}
        vocab: Set[str] = {w for words in self._lexicons.values() for w in words}

        self.matcher = TokenPatterns()
        self.veto_matcher = TokenPatterns()
        self._rules: Dict[str, _Rule] = {}
        self.categories: Dict[str, Category] = {}
        for name, body in (spec.get("categories") or {}).items():
            category = self._category(str(name), body or {})
            self.categories[category.name] = category
            for text in category.patterns:
                items, words = self._compile(text)
                vocab.update(words)
                rule_id = f"{category.name}:{text}"
                self._rules[rule_id] = _Rule(category.name, category.kind, text, items)
                self.matcher.add(rule_id, items)

        for i, text in enumerate(spec.get("not_risk") or []):
            self.veto_matcher.add(f"not_risk:{i}:{text}", self._compile(str(text))[0])

        self._scopes: Dict[str, _Scope] = {}
        self.scope_matcher = TokenPatterns()
        for name, body in (spec.get("scoped") or {}).items():
            breaks: Set[str] = set()
            for item in body.get("breaks") or []:
                breaks.update(self._words(str(item)))
            named: Set[str] = set()
            for item in body.get("named") or []:
                named.update(self._words(str(item)))
            self._scopes[str(name)] = _Scope(
                str(name),
                int(body.get("before", 0)),
                int(body.get("after", 0)),
                bool(body.get("inside", False)),
                frozenset(breaks),
                frozenset(named),
                frozenset(str(c) for c in body.get("categories") or []),
            )
            for i, text in enumerate(body.get("cues") or []):
                self.scope_matcher.add(f"{name}:{i}", self._compile(str(text))[0])

        exact = spec.get("exact") or {}
        exact_category = self.categories.get(str(exact.get("category", "urgent_help")))
        self._exact: Dict[str, Tuple[str, str]] = {}
        kind = exact_category.kind if exact_category else "urgent_help"
        name = exact_category.name if exact_category else "exact"
        for text in exact.get("messages") or []:
            for message in self._expand(str(text)):
                self._exact[self.normalise(message, fuzzy=False)] = (kind, name)

        self._vocab = {w for w in vocab if w.isalpha()}
        # Near misspellings of a few telling words ("suicdal", "myslef").
        self._fuzzy: Dict[str, List[str]] = {}
        for word in sorted(str(w) for w in spec.get("fuzzy_words") or []):
            for variant in _deletes(word) | {word}:
                self._fuzzy.setdefault(variant, []).append(word)

    # ----- loading -----
    def _lexicon(
        self, name: str, raw: Dict[str, List[Any]], seen: Tuple[str, ...]
    ) -> List[str]:
        """A lexicon's normalised words; an entry "@other" brings in another lexicon."""
        if name in self._lexicons:
            return self._lexicons[name]
        if name not in raw or name in seen:
            raise ValueError(f"risk_patterns.yml: unknown or circular lexicon @{name}")
        words: List[str] = []
        for entry in raw[name] or []:
            entry = str(entry)
            if entry.startswith("@"):
                self.used_lexicons.add(entry[1:])
                words.extend(self._lexicon(entry[1:], raw, seen + (name,)))
            else:
                normalised = self.normalise(entry, fuzzy=False).split()
                if len(normalised) != 1:
                    # "wanna" -> "want to" would put "to" in the lexicon.
                    raise ValueError(f"risk_patterns.yml: @{name}: {entry!r} is not one word")
                words.extend(normalised)
        self._lexicons[name] = words
        return words

    def _expand(self, text: str) -> List[str]:
        """An exact message with `@lexicon` words, as every whole message it stands for."""
        messages = [""]
        for word in text.split():
            options = self._use(word[1:]) if word.startswith("@") else [word]
            messages = [f"{m} {o}".strip() for m in messages for o in options]
        return messages

    def _use(self, name: str) -> List[str]:
        if name not in self._lexicons:
            raise ValueError(f"risk_patterns.yml: unknown lexicon @{name}")
        self.used_lexicons.add(name)
        return self._lexicons[name]

    def _words(self, item: str) -> List[str]:
        """The words of one `a|@lexicon|b` item."""
        words: List[str] = []
        for part in item.split("|"):
            if part.startswith("@"):
                words.extend(self._use(part[1:]))
            else:
                words.extend(self.normalise(part, fuzzy=False).split())
        return words

    def _category(self, name: str, body: Dict[str, Any]) -> Category:
        kind = str(body.get("kind", ""))
        if kind != GENERAL and kind not in RISK_INTENTS:
            raise ValueError(f"risk_patterns.yml: category {name} has unknown kind {kind!r}")
        return Category(
            name=name,
            kind=kind,
            description=str(body.get("description", "")),
            sources=tuple(str(s) for s in body.get("sources") or []),
            patterns=tuple(str(p) for p in body.get("patterns") or []),
        )

    # ----- normalising -----
    def normalise(self, text: str, fuzzy: bool = True) -> str:
        """Lower case, no apostrophes, no punctuation, fixed spellings."""
        text = _APOSTROPHES.sub("'", text.lower())
        # "he'll end it" must not read as "hell end it".
        # "OD'd" first, or it would read as "OD would".
        text = _OVERDOSED.sub(" overdosed ", text)
        text = _OD.sub(" overdose ", text)
        text = _WILL.sub(" will", text)
        text = _WOULD.sub(" would", text)
        text = _ANY_MORE.sub("anymore", text)
        text = _SPLIT_SELF.sub(r"\1\2", text)
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
        """The words and their lemmas; a contraction keeps its own form ("dont" is not "do")."""
        words = [w for w in words if w]
        if not words:
            return []
        return sorted(
            set(words) | {t.lemma_ for t in self._doc(words) if t.text not in _CONTRACTIONS}
        )

    def _compile(self, pattern: str) -> Tuple[Tuple[_Item, ...], List[str]]:
        """The file's small token syntax -> token items (and the words they name)."""
        items: List[_Item] = []
        vocab: List[str] = []
        for item in pattern.split():
            optional = len(item) > 1 and item.endswith("?")
            item = item[:-1] if optional else item
            if item == "*":
                items.append(_Item("any", frozenset(), True, True))
            elif item.startswith("~@") or item.startswith("!@"):
                # Any one word except the lexicon's: optional (~) or not (!). E.g. not
                # a person word, so "I found out my girlfriend self-harms now" is not
                # about "I".
                excluded = frozenset(self._lemmas(self._use(item[2:])))
                wildcard = item.startswith("~@")
                items.append(_Item("not_in", excluded, optional or wildcard, wildcard))
            else:
                words: List[str] = []
                exact: Set[str] = set()
                number = year = False
                for part in item.split("|"):
                    if part == "#":
                        number = True
                    elif part == "#year":
                        year = True
                    elif part.startswith("=@"):
                        exact.update(self._use(part[2:]))
                    elif part.startswith("="):
                        exact.add(self.normalise(part[1:], fuzzy=False))
                    else:
                        words.extend(self._words(part))
                vocab.extend(words)
                items.append(
                    _Item(
                        "match",
                        frozenset(self._lemmas(words)),
                        optional,
                        False,
                        frozenset(exact),
                        number,
                        year,
                    )
                )
        if all(i.optional for i in items):
            raise ValueError(f"risk_patterns.yml: pattern {pattern!r} needs a required word")
        return tuple(items), vocab

    # ----- screening -----
    def screen(self, text: str) -> Optional[RiskMatch]:
        """The risk match for a message, or None for ordinary speech."""
        found = self.all_matches(text)
        return found[0] if found else None

    def all_matches(self, text: str) -> List[RiskMatch]:
        """Every match that no veto cancels, the winning one first (by kind, then position)."""
        normalised = self.normalise(text or "")
        if not normalised:
            return []
        exact = self._exact.get(normalised)
        if exact:
            kind, category = exact
            return [RiskMatch(kind, RISK_INTENTS[kind], f"exact:{normalised}", category)]
        doc = self._doc(normalised.split())
        vetoes = [(start, end) for _, start, end, _ in self.veto_matcher(doc)]
        cues: Dict[str, List[Tuple[int, int]]] = {}
        for key, start, end, _ in self.scope_matcher(doc):
            cues.setdefault(key.split(":", 1)[0], []).append((start, end))
        ranked: Dict[RiskMatch, Tuple[int, int]] = {}
        for key, start, end, alignment in self.matcher(doc):
            if any(start < v_end and v_start < end for v_start, v_end in vetoes):
                continue
            rule = self._rules[key]
            if any(
                self._in_scope(doc, start, end, alignment, rule, self._scopes[name], spans)
                for name, spans in cues.items()
            ):
                continue
            kind = rule.kind
            if kind == GENERAL or (
                kind in ("someone_else", "self") and not self._names_someone(doc[start:end])
            ):
                # The nearest person word up to the match's end: "my son is suicidal",
                # "he keeps talking about death" are about him; "himself" wins.
                kind = self._who(doc, end)
            found = RiskMatch(kind, RISK_INTENTS[kind], rule.pattern, rule.category)
            rank = (KIND_ORDER.index(kind), start)
            ranked[found] = min(rank, ranked.get(found, rank))
        return sorted(ranked, key=lambda m: ranked[m])

    @staticmethod
    def _in_scope(
        doc: Doc,
        start: int,
        end: int,
        alignment: Tuple[int, ...],
        rule: _Rule,
        scope: _Scope,
        spans: List[Tuple[int, int]],
    ) -> bool:
        """True when a cue of the scope (a negation, the past) governs the match."""

        def clear(gap: Iterable[Any], words: FrozenSet[str]) -> bool:
            return not any(t.text in words or t.lemma_ in words for t in gap)

        if scope.categories and rule.category not in scope.categories:
            return False
        if scope.named and not clear(doc, scope.named):
            return False
        for c_start, c_end in spans:
            if scope.before and c_start < start < c_end <= end:
                return True  # the cue runs into the match ("asking someone" + "someone ...")
            if (
                scope.before
                and c_end <= start
                and start - c_end <= scope.before
                and clear(doc[c_end:start], scope.breaks)
            ):
                return True
            if (
                scope.after
                and c_start >= end
                and c_start - end <= scope.after
                and clear(doc[end:c_start], scope.breaks)
            ):
                return True
            if (
                scope.inside
                and start <= c_start
                and c_end <= end
                and all(rule.items[alignment[i - start]].wildcard for i in range(c_start, c_end))
            ):
                return True
        return False

    def _names_someone(self, span: Iterable[Any]) -> bool:
        return any(t.text in self._me_words or t.text in self._person_words for t in span)

    def who(self, text: str) -> str:
        """self or someone_else for a whole message (the last person word wins)."""
        doc = self._doc(self.normalise(text or "").split())
        return self._who(doc, len(doc))

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
    """Forces a crisis intent (confidence 1.0) on any risk signal: patterns OR model.

    Three independent signals, combined with OR (when in doubt, it is risk):

    1. a pattern match of the warning-sign taxonomy: the full crisis reply of
       the match's kind;
    2. the risk model's probability (``risk_model`` on the message, from
       ``components.risk_model.RiskModel``): at or above ``crisis_threshold``
       the full crisis reply, at or above ``check_threshold`` the gentle one
       (``risk_check``); when the model is missing or failed, the screen
       works alone;
    3. the intent classifier's own top intent being a risk intent, which is
       the weakest signal (about 60 intents share its scores): it counts when
       the model corroborates it with at least ``classifier_corroboration``
       (or when the model is missing): the full crisis reply at or above
       ``classifier_min_confidence``, else the gentle one. Uncorroborated,
       the message goes to the classifier's best non-risk intent.

    The kind of a full reply without a pattern comes from the classifier's
    best-ranked risk intent, else from who is talked about.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "check_threshold": 0.5,
            "crisis_threshold": 0.8,
            "classifier_min_confidence": 0.7,
            "classifier_corroboration": 0.5,
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

    def decide(self, message: Message) -> Optional[RiskMatch]:
        """The risk decision for a parsed message, or None when nothing signals risk."""
        text = message.get("text")
        if not text:
            return None
        found = self.matcher.screen(text)
        if found is not None:
            return found
        predicted = message.get(INTENT) or {}
        predicted_name = predicted.get(INTENT_NAME_KEY)
        ranking = message.get(INTENT_RANKING_KEY) or []
        probability = (message.get(RISK_MODEL_KEY) or {}).get("probability")
        if probability is not None and probability >= self.config["crisis_threshold"]:
            kind = self._kind_from_ranking(ranking) or self.matcher.who(text)
            return RiskMatch(kind, RISK_INTENTS[kind], "model")
        if probability is not None and probability >= self.config["check_threshold"]:
            return RiskMatch(CHECK_KIND, CHECK_INTENT, "model-uncertain")
        classifier_kind = next((k for k, v in RISK_INTENTS.items() if v == predicted_name), None)
        if not classifier_kind:
            return None
        if probability is not None and probability < self.config["classifier_corroboration"]:
            # Not risk after all: the classifier's best intent that is not a risk one.
            return RiskMatch(
                classifier_kind, self._safe_ranking(ranking)[0][INTENT_NAME_KEY], UNCORROBORATED
            )
        confidence = float(predicted.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        if confidence >= self.config["classifier_min_confidence"]:
            return RiskMatch(classifier_kind, predicted_name, "classifier")
        return RiskMatch(CHECK_KIND, CHECK_INTENT, "classifier-uncertain")

    @staticmethod
    def _safe_ranking(ranking: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """The ranking without risk intents, with their own scores (never empty)."""
        safe = [
            dict(entry) for entry in ranking
            if entry.get(INTENT_NAME_KEY)
            and not str(entry[INTENT_NAME_KEY]).startswith(("risk_", "crisis_"))
        ]
        return safe or [{INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 0.0}]

    def _drop_risk_intents(self, message: Message) -> None:
        ranking = self._safe_ranking(message.get(INTENT_RANKING_KEY) or [])
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    @staticmethod
    def _kind_from_ranking(ranking: List[Dict[str, Any]]) -> Optional[str]:
        for entry in ranking:
            kind = next(
                (k for k, v in RISK_INTENTS.items() if v == entry.get(INTENT_NAME_KEY)), None
            )
            if kind:
                return kind
        return None

    def _process(self, message: Message) -> None:
        found = self.decide(message)
        if found is None:
            return
        if found.pattern == UNCORROBORATED:
            self._drop_risk_intents(message)
            return
        predicted = message.get(INTENT) or {}
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
                "classifier_intent": predicted.get(INTENT_NAME_KEY),
                "classifier_confidence": predicted.get(PREDICTED_CONFIDENCE_KEY),
            },
            add_to_output=True,
        )
        # No message text in logs: only the kind and the pattern's id.
        logger.debug("Risk screen: %s (%s)", found.kind, found.pattern)
