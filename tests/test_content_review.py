"""Clinical content review: review dates, the report (`make content-report`) and the warning.

Expected counts are worked out here from domain.yml, data/services/ and the
policy file directly, not taken from the code under test. No model is loaded.
"""

from __future__ import annotations

import datetime
import html
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from scripts import content_report
from scripts.content_review import (
    ContentReview,
    ReviewPolicy,
    collect,
    factsheet_dates,
    load_policy,
    load_responses,
    policy_problems,
    response_routes,
    review_status,
    unescape_payload,
)
from tests.support import FACTSHEET, ROOT, VENV_BIN

BEFORE_DUE = datetime.date(2026, 9, 1)
AFTER_DUE = datetime.date(2026, 11, 25)
POLICY_FILE = ROOT / "docs" / "safety" / "content-sources.yml"
# Responses nothing leads to, on purpose (none today). Name each one and why.
KNOWN_UNREACHED: Dict[str, str] = {}


def _policy_spec() -> Dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def _domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _services() -> List[Dict[str, Any]]:
    return yaml.safe_load(
        (ROOT / "data" / "services" / "directory.yml").read_text(encoding="utf-8")
    )["services"]


def _plus_months(day: datetime.date, months: int) -> datetime.date:
    year = day.year + (day.month - 1 + months) // 12
    month = (day.month - 1 + months) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expected_overdue(today: datetime.date) -> List[str]:
    """The policy worked out by hand: reviewed + interval < today, or a factsheet
    fact (source not "assistant") after the factsheet's next update was due."""
    spec = _policy_spec()
    due = datetime.date.fromisoformat(str(spec["source_document"]["next_update_due"]))
    months = int(spec["review_interval_months"])
    overdue = []
    for name, variations in _domain()["responses"].items():
        for variation in variations:
            meta = variation["metadata"]
            reviewed = datetime.date.fromisoformat(str(meta["reviewed"]))
            if _plus_months(reviewed, months) < today or (
                meta["source"] != "assistant" and due < today
            ):
                overdue.append(name)
                break
    return overdue


@pytest.fixture(scope="module")
def late() -> ContentReview:
    return collect(today=AFTER_DUE)


@pytest.fixture(scope="module")
def late_html(late: ContentReview) -> str:
    return content_report.render_html(late)


# --- the policy agrees with the factsheet -----------------------------------------


def test_policy_file_agrees_with_the_factsheet():
    assert FACTSHEET.is_file(), f"factsheet not found at {FACTSHEET} (set FACTSHEET_PATH)"
    policy = load_policy()
    assert policy.factsheet == FACTSHEET.resolve()
    text = FACTSHEET.read_text(encoding="utf-8")
    assert factsheet_dates(text)["next_update"] == "2026-09", "factsheet's 'Next update' line"
    assert policy_problems(policy, text) == []
    assert policy.next_update_due == datetime.date(2026, 9, 30)


def test_a_disagreeing_factsheet_is_reported():
    policy = load_policy()
    text = FACTSHEET.read_text(encoding="utf-8")
    later = text.replace("Next update September 2026", "Next update March 2027")
    assert later != text
    assert any("2027-03" in p for p in policy_problems(policy, later))
    assert any("no 'Next update" in p
               for p in policy_problems(policy, text.replace("Next update", "Reviewed")))


# --- review status ---------------------------------------------------------------------


def _fixture_policy() -> ReviewPolicy:
    return ReviewPolicy("A factsheet", "7", "2023-09", datetime.date(2026, 9, 30), 12,
                        Path("/nonexistent"))


@pytest.mark.parametrize(
    ("source", "reviewed", "today", "overdue"),
    [
        ("assistant", datetime.date(2024, 1, 10), BEFORE_DUE, True),  # reviewed long ago
        ("assistant", datetime.date(2026, 8, 1), AFTER_DUE, False),  # fresh, states no fact
        ("What is self-harm?", datetime.date(2026, 8, 1), BEFORE_DUE, False),
        ("What is self-harm?", datetime.date(2026, 8, 1), AFTER_DUE, True),  # factsheet due
        ("What is self-harm?", datetime.date(2026, 8, 1), datetime.date(2026, 9, 30), False),
        ("What is self-harm?", datetime.date(2026, 8, 1), datetime.date(2026, 10, 1), True),
        ("assistant", datetime.date(2025, 11, 25), datetime.date(2026, 11, 25), False),
        ("assistant", datetime.date(2025, 11, 24), datetime.date(2026, 11, 25), True),
    ],
)
def test_review_status_fixtures(source, reviewed, today, overdue):
    status = review_status(_fixture_policy(), today, from_source=source != "assistant",
                           reviewed=reviewed)
    assert status.overdue is overdue
    assert bool(status.reasons) is overdue


def test_review_due_date_is_the_earliest():
    policy = _fixture_policy()
    old = review_status(policy, AFTER_DUE, from_source=True, reviewed=datetime.date(2025, 1, 31))
    assert old.due == datetime.date(2026, 1, 31) and len(old.reasons) == 2
    fresh = review_status(policy, AFTER_DUE, from_source=True, reviewed=datetime.date(2026, 8, 1))
    assert fresh.due == datetime.date(2026, 9, 30) and len(fresh.reasons) == 1
    assert review_status(policy, AFTER_DUE, from_source=False).overdue  # no date at all


@pytest.mark.parametrize("today", [BEFORE_DUE, AFTER_DUE])
def test_overdue_counts_on_the_real_content(today):
    review = collect(today=today)
    expected = expected_overdue(today)
    assert review.overdue_responses == expected
    services = _services()
    due = datetime.date.fromisoformat(str(_policy_spec()["source_document"]["next_update_due"]))
    assert len(review.overdue_services) == (len(services) if due < today else 0)
    assert len(review.services) == len(services)


def test_after_the_due_date_facts_are_overdue_but_our_own_words_are_not(late):
    assert late.source_overdue_days == 56
    total = len(late.responses)
    assert 0 < len(late.overdue_responses) < total
    for response in late.responses:
        states_facts = any(v.source != "assistant" for v in response.variations)
        assert (response.name in late.overdue_responses) is states_facts, response.name


# --- what leads to each response ------------------------------------------------------------


def test_crisis_replies_are_reached_by_risk_intents(late):
    assert late.crisis_names[:4] == [
        "utter_crisis_danger_now", "utter_crisis_someone_else", "utter_crisis_self",
        "utter_crisis_urgent_help",
    ]
    assert "utter_crisis_check" in late.crisis_names
    for name in late.crisis_names:
        intents = {r.intent for r in late.routes[name]}
        assert intents, f"{name}: nothing leads to it"
        if name == "utter_crisis_followup":
            # crisis mode: follow-ups after a crisis reply (an unclear message, or a
            # topic follow-up while the topic slot is `crisis`)
            assert intents == {
                "crisis_followup", "nlu_fallback", "followup_more", "followup_how_to_get",
                "followup_what_included", "followup_copy", "followup_young_person",
            }, intents
        elif name == "utter_crisis_check":
            assert intents == {"risk_check"}, intents
        elif name.startswith("utter_crisis_"):
            assert intents == {"risk_" + name.removeprefix("utter_crisis_")}, name


def test_topic_responses_are_reached_by_intents_with_examples(late):
    topic_responses = [r for r in late.responses if r.topic.startswith("Topic")]
    assert len(topic_responses) > 40
    for response in topic_responses:
        intents = [r.intent for r in late.routes[response.name] if r.intent]
        assert intents, f"{response.name}: no intent leads to it"
        assert any(late.intents[i].examples for i in intents), response.name


def test_every_response_is_reached(late):
    assert set(late.unreached) <= set(KNOWN_UNREACHED), late.unreached


def test_routes_from_rules_stories_or_steps_forms_actions_and_config(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "actions").mkdir()
    (tmp_path / "domain.yml").write_text(textwrap.dedent("""\
        version: "3.1"
        intents: [a, b, c]
        forms:
          my_form:
            required_slots: [colour]
        responses:
          # ===== Topic 1: One =====
          utter_a:
            - text: "A <b>"
              buttons:
                - {title: "To B", payload: "/b"}
                - {title: "Red", payload: '/c{{"colour":"red"}}'}
              metadata: {source: "assistant", reviewed: "2026-01-01"}
          utter_b:
            - text: "B"
          # ===== Topic 2: Two =====
          utter_ask_colour:
            - text: "Which colour?"
          utter_from_action:
            - text: "From the action"
          utter_when_down:
            - text: "Down"
          utter_nobody:
            - text: "Never sent"
        """), encoding="utf-8")
    (tmp_path / "data" / "rules.yml").write_text(textwrap.dedent("""\
        rules:
          - rule: a or b
            steps:
              - or:
                  - intent: a
                  - intent: b
              - action: utter_a
          - rule: c starts the form
            steps:
              - intent: c
              - action: my_form
              - active_loop: my_form
          - rule: form done
            condition:
              - active_loop: my_form
            steps:
              - action: my_form
              - active_loop: null
              - action: action_done
        """), encoding="utf-8")
    (tmp_path / "data" / "stories.yml").write_text(textwrap.dedent("""\
        stories:
          - story: b then utter_b
            steps:
              - intent: a
              - action: utter_a
              - intent: b
              - action: utter_b
        """), encoding="utf-8")
    (tmp_path / "actions" / "done.py").write_text(textwrap.dedent("""\
        class ActionDone:
            def name(self):
                return "action_done"

            def run(self, dispatcher):
                dispatcher.utter_message(response="utter_from_action")
        """), encoding="utf-8")
    config = {"policies": [{"name": "X", "fallback_responses": {"action_done": "utter_when_down"}}]}
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text(encoding="utf-8"))
    responses = load_responses(tmp_path / "domain.yml")
    assert [r.topic for r in responses] == ["Topic 1: One"] * 2 + ["Topic 2: Two"] * 4
    assert responses[0].buttons[1].payload == '/c{"colour":"red"}'
    assert responses[0].buttons[1].intent == "c"
    routes = response_routes(tmp_path, responses, domain, config)
    intents = {name: {r.intent for r in found} for name, found in routes.items()}
    assert intents["utter_a"] == {"a", "b"}
    assert intents["utter_b"] == {"b"}
    assert intents["utter_ask_colour"] == {"c"}
    assert intents["utter_from_action"] == {"c"}  # after the form the rule finishes
    assert intents["utter_when_down"] == {"c"}
    assert intents["utter_nobody"] == set()


# --- the report ------------------------------------------------------------------------------


def _response_ids(page: str) -> List[str]:
    return re.findall(r'<article class="response[^"]*" id="resp-([A-Za-z0-9_]+)"', page)


def test_report_has_every_response_once_crisis_first(late, late_html):
    ids = _response_ids(late_html)
    names = list(_domain()["responses"])
    assert sorted(ids) == sorted(names)
    crisis = [n for n in names if n.startswith("utter_crisis_")]
    assert set(ids[: len(crisis)]) == set(crisis)
    assert ids[len(crisis):] == [n for n in names if n not in crisis]  # domain.yml order
    assert "Not reached by any rule or story" not in late_html


def test_report_banner_says_the_factsheet_is_overdue(late, late_html):
    banner = re.search(r'<div class="banner"[^>]*>(.*?)</div>', late_html, re.S)
    assert banner, "no banner"
    text = banner.group(1)
    assert "September 2026" in text and "OVERDUE" in text and "56 days overdue" in text
    assert f"{len(late.overdue_responses)} of {len(late.responses)} responses" in text
    assert late_html.index('class="banner"') < late_html.index("id='crisis'")
    before = content_report.render_html(collect(today=BEFORE_DUE))
    assert 'class="banner ok"' in before and "OVERDUE" not in before


def test_report_flags_exactly_the_overdue_responses(late_html):
    flagged = re.findall(r'<article class="response overdue[^"]*" id="resp-(\w+)"', late_html)
    assert flagged == expected_overdue(AFTER_DUE)
    assert late_html.count('<article class="service overdue"') == len(_services())


def test_report_shows_every_text_button_source_and_date(late_html):
    for name, variations in _domain()["responses"].items():
        for variation in variations:
            assert html.escape(variation["text"]) in late_html, name
            assert html.escape(variation["metadata"]["source"]) in late_html, name
            for button in variation.get("buttons") or []:
                assert html.escape(button["title"]) in late_html, (name, button)
                assert html.escape(unescape_payload(button["payload"])) in late_html, (name, button)


def test_report_has_every_service_record_and_its_fields(late_html):
    for record in _services():
        assert f'id="service-{record["key"]}"' in late_html
        for value in record.values():
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            assert html.escape(shown) in late_html, (record["key"], value)


def test_report_shows_the_risk_lexicon_and_every_example(late_html):
    assert "What sends a crisis reply" in late_html
    patterns = yaml.safe_load((ROOT / "components" / "risk_patterns.yml").read_text("utf-8"))
    for category in patterns["categories"].values():  # the warning-sign taxonomy
        for pattern in category["patterns"]:
            assert f"<li><code>{html.escape(pattern)}</code></li>" in late_html, pattern
    assert 'id="intent-risk_danger_now"' in late_html
    assert "she has taken an overdose" in late_html


def test_report_escapes_what_it_shows(late):
    late.responses[0].variations[0].text = '<script>alert("x")</script>'
    try:
        page = content_report.render_html(late)
    finally:
        late.responses[0].variations[0].text = _domain()["responses"][late.responses[0].name][0][
            "text"]
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_make_content_report_writes_its_files(tmp_path):
    out = tmp_path / "fresh" / "reports"
    assert content_report.main(["--out", str(out), "--today", AFTER_DUE.isoformat()]) == 0
    page = (out / content_report.HTML_NAME).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "<link" not in page  # self-contained
    pdf = out / content_report.PDF_NAME
    if not Path(content_report.CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium: the PDF is skipped (`make browser` installs it)")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_makefile_and_run_sh_call_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^content-report: setup\n\t\$\(PY\) scripts/content_report.py$",
                     makefile, re.M)
    run = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    warn = run.index("content_review.py --warn || true")
    assert warn < run.index("rasa run"), "the warning comes before the servers start"


# --- the warning `make run` prints --------------------------------------------------------------


def _warn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "python"), "scripts/content_review.py", "--warn", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def test_warn_prints_one_warning_and_exits_0():
    result = _warn("--today", AFTER_DUE.isoformat())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("WARNING: ")
    assert "2026-09-30 (56 days ago)" in lines[0]
    assert f"{len(expected_overdue(AFTER_DUE))} of " in lines[0]
    assert f"{len(_services())} of {len(_services())} service records" in lines[0]
    assert "make content-report" in lines[0]


def test_warn_is_quiet_before_the_due_date_and_never_fails():
    quiet = _warn("--today", BEFORE_DUE.isoformat())
    assert quiet.returncode == 0 and quiet.stdout == "", quiet.stdout + quiet.stderr
    broken = _warn("--policy", "/nonexistent/content-sources.yml")
    assert broken.returncode == 0
    assert broken.stdout.startswith("WARNING: the content review check could not run")
