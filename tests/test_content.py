"""Content quality of every response in domain.yml (all topics, all engineers).

- traceability: each variation names its source (a factsheet heading or service
  name found verbatim in the factsheet, or "assistant") and a review date;
- every phone number, text number, web address and email is copied exactly
  from the factsheet;
- no dead responses: each is used by a rule or story, an action, a component
  or config.yml (or by Rasa itself, or by a form's slot question);
- readability: Flesch-Kincaid grade, median <= 6 and none above 9.

The last tests feed deliberately broken responses to the same checks, so each
check is shown to fail when its rule is broken.
"""

from __future__ import annotations

import datetime
import re
import statistics
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from tests.support import FACTSHEET  # FACTSHEET_PATH, or ../shared/ beside the repo

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "domain.yml"

MAX_MEDIAN_GRADE = 6.0
MAX_GRADE = 9.0

# Names and terms that are long words by nature: left out of the grade.
READABILITY_IGNORED_TERMS = [
    "Rethink Mental Illness", "Mental Health and Money Advice", "Care Act 2014",
    "Health and Care Act 2022", "Mental Health Act", "Carers UK", "Carers Trust",
    "Samaritans", "National Self-harm Network", "LifeSIGNS", "ASSISTline",
    "Self-Injury Support", "Changing Faces", "Papyrus UK", "Papyrus", "C.A.L.M.",
    "Campaign Against Living Miserably", "CALM", "The Silver Line", "Silverline",
    "The Mix", "Sane Line", "Textcare", "SANE", "Sane", "Mood Swings", "Support Line",
    "Shout", "Gloucestershire", "Maudsley Hospital", "Patient Advice and Liaison Service",
    "PALS", "NICE", "NHS", "psychosocial", "borderline personality disorder",
    "dialectical behavioural therapy", "cognitive behavioural therapy",
    "Calm harm", "distrACT",
]
# Responses Rasa's default actions send by name.
RASA_BUILT_IN_RESPONSES = {"utter_default", "utter_ask_rephrase", "utter_restart", "utter_back"}

URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'\]]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:org|com|net|gov|nhs|uk|co|io)\b(?:/[^\s<>\"'\]]*)?",
    re.IGNORECASE,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Runs of digits and single spaces ("0800 58 58 58", "116 123", "85258").
NUMBER_RUN_RE = re.compile(r"\d(?:[\d ]*\d)?")
MIN_PHONE_DIGITS = 5  # shorter runs are years, counts and 999


# --- loading --------------------------------------------------------------


def load_domain(path: Path = DOMAIN) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def factsheet_text() -> str:
    return FACTSHEET.read_text(encoding="utf-8")


def variations(domain: Dict[str, Any]) -> Iterator[Tuple[str, int, Dict[str, Any]]]:
    for name, items in (domain.get("responses") or {}).items():
        for index, variation in enumerate(items or []):
            yield name, index, variation


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a (nested) custom payload."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def shown_strings(variation: Dict[str, Any]) -> List[str]:
    """What a person can see: text, button titles, custom payload strings."""
    shown = [variation.get("text") or ""]
    shown += [str(button.get("title", "")) for button in variation.get("buttons") or []]
    shown += [str(button.get("payload", "")) for button in variation.get("buttons") or []
              if not str(button.get("payload", "")).startswith("/")]
    shown += list(strings_in(variation.get("custom") or {}))
    return [s for s in shown if s]


# --- checks (each returns a list of problems) -------------------------------


def traceability_problems(domain: Dict[str, Any], source: str) -> List[str]:
    problems = []
    for name, index, variation in variations(domain):
        where = f"{name}[{index}]"
        metadata = variation.get("metadata") or {}
        origin, reviewed = metadata.get("source"), metadata.get("reviewed")
        if not origin:
            problems.append(f"{where}: no metadata.source")
        elif origin != "assistant" and str(origin) not in source:
            problems.append(f"{where}: source {origin!r} is not found verbatim in the factsheet")
        if not reviewed:
            problems.append(f"{where}: no metadata.reviewed")
        else:
            try:
                datetime.date.fromisoformat(str(reviewed))
            except ValueError:
                problems.append(f"{where}: reviewed {reviewed!r} is not an ISO date (YYYY-MM-DD)")
    return problems


def _trim_url(url: str) -> str:
    """Drops sentence punctuation and an unbalanced closing bracket after an address."""
    url = url.rstrip(".,;:!?")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?")
    return url


def contacts_in(text: str) -> Tuple[List[str], List[str], List[str]]:
    """(emails, web addresses, phone/text numbers) found in text."""
    emails = [e.rstrip(".") for e in EMAIL_RE.findall(text)]
    rest = EMAIL_RE.sub(" ", text)
    urls = [_trim_url(u) for u in URL_RE.findall(rest)]
    rest = URL_RE.sub(" ", rest)
    numbers = [
        run.strip() for run in NUMBER_RUN_RE.findall(rest)
        if sum(ch.isdigit() for ch in run) >= MIN_PHONE_DIGITS
    ]
    return emails, urls, numbers


def contact_problems(domain: Dict[str, Any], source: str) -> List[str]:
    """Each email, address and number must be one the factsheet gives, whole.

    Compared with the factsheet's own list, not as a substring, so a cut-off
    address ("www.carers.org/search") or number ("0800 58 58") is caught too.
    """
    known = [set(found) for found in contacts_in(source)]
    problems = []
    for name, index, variation in variations(domain):
        for shown in shown_strings(variation):
            found_here = contacts_in(shown)
            for kind, found, allowed in zip(
                ("email", "web address", "number"), found_here, known, strict=True
            ):
                for item in found:
                    if item not in allowed:
                        problems.append(
                            f"{name}[{index}]: {kind} {item!r} is not in the factsheet as written"
                        )
    return problems


def used_response_names(root: Path = ROOT, domain: Dict[str, Any] | None = None) -> Set[str]:
    """Response names used by rules/stories, code, config or Rasa itself."""
    domain = domain if domain is not None else load_domain(root / "domain.yml")
    used: Set[str] = set(RASA_BUILT_IN_RESPONSES)
    for path in sorted((root / "data").rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(content, dict):
            continue
        for block in (content.get("rules") or []) + (content.get("stories") or []):
            for step in block.get("steps") or []:
                if isinstance(step, dict) and step.get("action"):
                    used.add(step["action"])
    code = [root / "config.yml"]
    for folder in ("actions", "components"):
        code += sorted((root / folder).rglob("*.py")) + sorted((root / folder).rglob("*.yml"))
    names = set((domain.get("responses") or {}).keys())
    for path in code:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            used |= {name for name in names if re.search(rf"\b{re.escape(name)}\b", text)}
    # A form asks for each required slot with utter_ask_<form>_<slot> or utter_ask_<slot>.
    for form, spec in (domain.get("forms") or {}).items():
        for slot in (spec or {}).get("required_slots") or []:
            used |= {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"}
    return used


def dead_responses(domain: Dict[str, Any], used: Set[str]) -> List[str]:
    return sorted(set((domain.get("responses") or {}).keys()) - used)


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade with textstat, syllables from pyphen's en_GB dictionary.

    textstat prefers NLTK's cmudict, which it downloads at run time; that fails
    offline and would make results depend on the machine. Pyphen ships with it.
    """
    import textstat
    from textstat.backend.counts import _count_syllables

    _count_syllables.get_cmudict = lambda lang: None  # -> pyphen for every word
    textstat.set_lang("en_GB")
    return float(textstat.flesch_kincaid_grade(text))


def readable_text(text: str) -> str:
    """The text without addresses, numbers and names that are long by nature."""
    text = EMAIL_RE.sub(" ", text)
    text = URL_RE.sub(" ", text)
    text = NUMBER_RUN_RE.sub(" ", text)
    for term in sorted(READABILITY_IGNORED_TERMS, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(term)}\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def grades(domain: Dict[str, Any]) -> List[Tuple[float, str, str]]:
    """(grade, response[index], text) for each variation with words to grade."""
    result = []
    for name, index, variation in variations(domain):
        text = readable_text(variation.get("text") or "")
        if re.search(r"[A-Za-z]{2,}", text):
            result.append((fk_grade(text), f"{name}[{index}]", variation.get("text")))
    return result


def readability_problems(scored: List[Tuple[float, str, str]]) -> List[str]:
    problems = []
    if not scored:
        return ["no response text to grade"]
    median = statistics.median(grade for grade, _, _ in scored)
    if median > MAX_MEDIAN_GRADE:
        problems.append(f"median Flesch-Kincaid grade {median:.1f} > {MAX_MEDIAN_GRADE}")
    problems += [
        f"{where}: grade {grade:.1f} > {MAX_GRADE}: {text!r}"
        for grade, where, text in scored
        if grade > MAX_GRADE
    ]
    return problems


def problems_message(problems: List[str]) -> str:
    return f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)


# --- the whole domain ---------------------------------------------------------


@pytest.fixture(scope="module")
def domain() -> Dict[str, Any]:
    return load_domain()


@pytest.fixture(scope="module")
def source() -> str:
    return factsheet_text()


def test_domain_has_responses(domain: Dict[str, Any]) -> None:
    assert len(list(variations(domain))) > 0


def test_every_response_names_its_source_and_review_date(
    domain: Dict[str, Any], source: str
) -> None:
    problems = traceability_problems(domain, source)
    assert not problems, problems_message(problems)


def test_numbers_addresses_and_emails_are_copied_exactly(
    domain: Dict[str, Any], source: str
) -> None:
    problems = contact_problems(domain, source)
    assert not problems, problems_message(problems)


def test_no_dead_responses(domain: Dict[str, Any]) -> None:
    dead = dead_responses(domain, used_response_names(ROOT, domain))
    assert not dead, (
        "responses not used by any rule, story, action, component or config: " + ", ".join(dead)
    )


def test_readability(domain: Dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    scored = grades(domain)
    worst = sorted(scored, reverse=True)[:5]
    median = statistics.median(grade for grade, _, _ in scored)
    with capsys.disabled():
        print(f"\nReadability: {len(scored)} texts, median Flesch-Kincaid grade {median:.1f}; "
              "hardest five:")
        for grade, where, _ in worst:
            print(f"  {grade:5.1f}  {where}")
    problems = readability_problems(scored)
    assert not problems, problems_message(problems)


# --- the checks catch what they should -------------------------------------------

SOURCE_SAMPLE = (
    "How should I react if I find out a loved one self-harms?\n"
    "Samaritans\nPhone: 116 123\nEmail: jo@samaritans.org\nWebsite: www.samaritans.org\n"
    "Text: Text Shout to 85258\nPhone: 0800 58 58 58\n"
)


def one_response(text: str, **extra: Any) -> Dict[str, Any]:
    variation = {"text": text, "metadata": {"source": "Samaritans", "reviewed": "2026-11-25"}}
    variation.update(extra)
    return {"responses": {"utter_sample": [variation]}}


def test_traceability_check_catches_missing_and_invented_sources() -> None:
    assert not traceability_problems(one_response("Hi."), SOURCE_SAMPLE)
    broken = one_response("Hi.", metadata={"source": "Samaritans helpline", "reviewed": "25/11"})
    found = traceability_problems(broken, SOURCE_SAMPLE)
    assert any("not found verbatim" in p for p in found)
    assert any("ISO date" in p for p in found)
    assert traceability_problems(one_response("Hi.", metadata={}), SOURCE_SAMPLE)


def test_contact_check_catches_changed_numbers_and_addresses() -> None:
    good = one_response(
        "Call Samaritans on 116 123, email jo@samaritans.org or see www.samaritans.org. "
        "Text Shout to 85258. Call 0800 58 58 58. In danger, call 999."
    )
    assert not contact_problems(good, SOURCE_SAMPLE)
    for bad in ("Call 116123.", "Call 0800 585858.", "Call 0800 58 58.", "Text 85259.",
                "See samaritans.org/help.", "See www.samaritans.org/help.", "See www.samaritan.org",
                "Email jo@samaritans.org.uk.", "See https://www.samaritans.com"):
        assert contact_problems(one_response(bad), SOURCE_SAMPLE), bad
    custom = one_response("Help.", custom={"services": [{"phone": "116 124"}]})
    assert contact_problems(custom, SOURCE_SAMPLE)


def test_dead_response_check_catches_an_unused_response(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "actions").mkdir()
    (tmp_path / "config.yml").write_text("policies: []\n")
    (tmp_path / "data" / "rules.yml").write_text(
        "rules:\n- rule: r\n  steps:\n  - intent: greet\n  - action: utter_used\n"
    )
    (tmp_path / "actions" / "a.py").write_text('dispatcher.utter_message(response="utter_code")\n')
    domain = {"responses": {name: [{"text": "x"}] for name in
                            ("utter_used", "utter_code", "utter_unused", "utter_default")}}
    assert dead_responses(domain, used_response_names(tmp_path, domain)) == ["utter_unused"]


def test_readability_check_catches_hard_text() -> None:
    easy = grades(one_response("Try to listen. You don't have to fix it. Ask what would help."))
    assert not readability_problems(easy)
    hard = grades(one_response(
        "Notwithstanding considerable institutional heterogeneity, multidisciplinary "
        "interventions demonstrably ameliorate psychological dysregulation characteristically "
        "associated with deliberate self-injurious behaviour."
    ))
    assert readability_problems(hard)
    # Addresses, numbers and service names are not graded.
    assert readable_text("Call Rethink Mental Illness on 0808 801 0606 or www.rethink.org.") == (
        "Call on or"
    )
