"""The whole script for the clinical reviewer: reports/content-review.html (and .pdf).

    .venv/bin/python scripts/content_report.py [--out reports] [--today YYYY-MM-DD] [--no-pdf]

One self-contained HTML file (inline CSS, prints well): a red banner when the
source factsheet or any content is past its review date, a sign-off table,
then 1. the crisis replies (with the risk screen's lexicon), 2. every other
response by topic, 3. every service record, and appendices with every
intent's example phrases and the full risk lexicon. Then a PDF of it with
headless Debian chromium (/usr/bin/chromium, `make browser`), if installed.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import html
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.content_review import (  # noqa: E402 (needs the repo on sys.path)
    ROOT,
    ContentReview,
    IntentInfo,
    Response,
    ReviewStatus,
    Route,
    ServiceRecord,
    collect,
)

HTML_NAME = "content-review.html"
PDF_NAME = "content-review.pdf"
CHROMIUM = "/usr/bin/chromium"
INLINE_EXAMPLES = 8
INLINE_RISK_PHRASES = 12
# A reply many intents lead to (the "was that helpful?" question) lists them briefly.
COMPACT_AFTER_INTENTS = 6
# Service record fields in display order (any others follow).
SERVICE_FIELDS = [
    ("name", "Name"), ("key", "Key"), ("description", "Description (our words)"),
    ("phone", "Phone"), ("text_number", "Text number"), ("text_keyword", "Text keyword"),
    ("text_url", "Text service"), ("email", "Email"), ("website", "Website"),
    ("webchat", "Webchat"), ("forum", "Forum"), ("address", "Address"), ("hours", "Hours"),
    ("for", "For"), ("region", "Region"), ("offers", "Offers"),
    ("section", "Factsheet section"), ("reviewed", "Reviewed"),
]

CSS = """
:root { --red: #a4001d; --ink: #1b1b1b; --muted: #555; --line: #c9c9c9; --soft: #f4f4f4; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 11pt/1.45 "DejaVu Sans", Arial, sans-serif; color: var(--ink); margin: 0 auto;
       max-width: 60em; padding: 1.5em; }
h1 { font-size: 20pt; margin: 0 0 .2em; }
h2 { font-size: 15pt; border-bottom: 2px solid var(--ink); padding-bottom: .15em; margin-top: 2em; }
h3 { font-size: 13pt; margin: 1.6em 0 .6em; }
h4 { font-size: 11.5pt; margin: 0 0 .4em; }
code { font: 9.5pt "DejaVu Sans Mono", monospace; background: var(--soft); padding: 0 .2em; }
a { color: #0b4f9c; }
.meta { color: var(--muted); margin: 0 0 1em; }
.banner { border: 3px solid var(--red); background: var(--red); color: #fff; padding: .8em 1em;
          margin: 1em 0; font-size: 12pt; }
.banner strong { font-size: 13.5pt; display: block; margin-bottom: .2em; }
.banner.ok { background: #fff; color: var(--ink); border-color: #2e7d32; }
.problem { border: 2px solid var(--red); color: var(--red); padding: .5em 1em; margin: .5em 0; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid var(--line); padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: var(--soft); }
table.facts th { width: 12em; }
table.signoff td { height: 2.6em; }
table.risk td:first-child { width: 24%; }
table.risk td:nth-child(2) { width: 22%; }
table.risk td:nth-child(3) { width: 12%; }
article { border: 1px solid var(--line); border-left: 6px solid var(--line); padding: .7em 1em;
          margin: 0 0 1em; break-inside: avoid; page-break-inside: avoid; }
article.overdue { border-left-color: var(--red); }
article.crisis { border-color: var(--red); }
.flag { display: inline-block; background: var(--red); color: #fff; font-weight: bold;
        font-size: 9pt; padding: .05em .45em; margin-left: .4em; letter-spacing: .03em; }
.flag.ok { background: #2e7d32; }
.flag.kind { background: #444; }
.text { white-space: pre-wrap; background: var(--soft); border-left: 3px solid #888;
        padding: .4em .7em; margin: .3em 0 .5em; }
.when { color: var(--muted); font-style: italic; }
dl { display: grid; grid-template-columns: 9.5em 1fr; gap: .15em .8em; margin: .4em 0; }
dt { font-weight: bold; color: var(--muted); }
dd { margin: 0; }
ul { margin: .2em 0 .4em; padding-left: 1.3em; }
.examples { color: var(--muted); }
.none { color: var(--red); font-weight: bold; }
/* The gap holds the next column's numbers (outside markers), so they never overlap text. */
.lexicon { columns: 3; column-gap: 3em; padding-left: 2.4em; font-size: 9.5pt; }
.lexicon li { break-inside: avoid; }
.patterns code { overflow-wrap: anywhere; }
.small { font-size: 9.5pt; }
nav ol ol { columns: 2; column-gap: 2.5em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
  nav { break-after: page; }
}
"""


def e(value: object) -> str:
    """Every piece of text goes through here: HTML-escaped, quotes too."""
    return html.escape(str(value), quote=True)


def anchor(kind: str, name: str) -> str:
    return f"{kind}-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)


def _date(day: Optional[datetime.date]) -> str:
    return day.strftime("%d %B %Y").lstrip("0") if day else "none"


def _model_line(root: Path) -> str:
    models = Path(os.environ.get("MODELS_DIR", root / "models"))
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        return f"no trained model in {models} (this report reads the source files)"
    newest = found[-1]
    when = datetime.datetime.fromtimestamp(newest.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return f"{newest.name} (trained {when}; this report reads the source files)"


def _git_line(root: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()

    try:
        commit, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit}" + (" with uncommitted changes" if dirty else "")


def _status_html(status: ReviewStatus) -> str:
    flag = ('<span class="flag">OVERDUE</span>' if status.overdue
            else '<span class="flag ok">OK</span>')
    reasons = "".join(f"<li>{e(r)}</li>" for r in status.reasons)
    return (f"{flag} review due by {e(_date(status.due))}"
            + (f"<ul>{reasons}</ul>" if reasons else ""))


def _examples_html(info: Optional[IntentInfo], name: str) -> str:
    if info is None or not info.examples:
        return ""
    shown = ", ".join(f"“{e(x)}”" for x in info.examples[:INLINE_EXAMPLES])
    more = (f' … <a href="#{anchor("intent", name)}">all {len(info.examples)} examples</a>'
            if len(info.examples) > INLINE_EXAMPLES
            else f' (<a href="#{anchor("intent", name)}">appendix</a>)')
    return f'<div class="examples small">Examples: {shown}{more}</div>'


def _routes_html(review: ContentReview, routes: Sequence[Route]) -> str:
    if not routes:
        return '<p class="none">Not reached by any rule or story.</p>'
    by_intent: Dict[Optional[str], List[str]] = {}
    for route in routes:
        by_intent.setdefault(route.intent, []).append(route.via)
    if len(by_intent) > COMPACT_AFTER_INTENTS:
        links = ", ".join(
            f"<a href='#{anchor('intent', i)}'><code>{e(i)}</code></a>" if i else "no user intent"
            for i in by_intent
        )
        return (f"<p class='small'>{len(by_intent)} intents, through {len(routes)} rules and "
                f"stories (each intent's examples are in Appendix A): {links}</p>")
    items = []
    for intent, vias in by_intent.items():
        stories = [v.split(": ", 1)[1] for v in vias if v.startswith("story: ")]
        how = "".join(f"<li>{e(v)}</li>" for v in vias if not v.startswith("story: "))
        if stories:
            how += f"<li>{e('in stories: ' + '; '.join(stories))}</li>"
        if intent is None:
            items.append(f"<li>no user intent<ul class='small'>{how}</ul></li>")
            continue
        info = review.intents.get(intent)
        extra = ""
        if info and info.set_by:
            extra += "".join(f"<li>{e(s)}</li>" for s in info.set_by)
        if info and info.buttons:
            by_response: Dict[str, List[str]] = {}
            for resp, title in info.buttons:
                by_response.setdefault(resp, []).append(f"“{e(title)}”")
            taps = "; ".join(
                f"<a href='#{anchor('resp', resp)}'><code>{e(resp)}</code></a> "
                f"({', '.join(titles)})"
                for resp, titles in by_response.items()
            )
            extra += f"<li>buttons that send it: {taps}</li>"
        items.append(
            f"<li>intent <a href='#{anchor('intent', intent)}'><code>{e(intent)}</code></a>"
            f"<ul class='small'>{how}{extra}</ul>{_examples_html(info, intent)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def _condition_html(condition: Sequence[dict]) -> str:
    parts = [f"{c.get('name')} is {c.get('value')}" for c in condition if isinstance(c, dict)]
    return f' <span class="when">(when {e(" and ".join(parts))})</span>' if parts else ""


def response_html(review: ContentReview, response: Response) -> str:
    status = review.response_status[response.name]
    kind = next((v.custom.get("kind", "") for v in response.variations if v.custom), "")
    classes = "response" + (" overdue" if status.overdue else "") + (
        " crisis" if response.name in review.crisis_names else "")
    parts = [f'<article class="{classes}" id="{anchor("resp", response.name)}">',
             f"<h4><code>{e(response.name)}</code>"
             + ('<span class="flag">OVERDUE</span>' if status.overdue else "")
             + (f'<span class="flag kind">CRISIS CARD: {e(kind)}</span>' if response.crisis else "")
             + "</h4>"]
    many = len(response.variations) > 1
    for number, variation in enumerate(response.variations, start=1):
        if many:
            parts.append(f"<div><strong>Variation {number}</strong>"
                         f"{_condition_html(variation.condition)}</div>")
        parts.append(f'<div class="text">{e(variation.text)}</div>')
        if variation.buttons:
            buttons = "".join(
                f"<li>“{e(b.title)}” → <code>{e(b.payload)}</code>"
                + (f" (intent <a href='#{anchor('intent', b.intent)}'>{e(b.intent)}</a>)"
                   if b.intent else "")
                + "</li>"
                for b in variation.buttons
            )
            parts.append(f"<div><strong>Buttons</strong><ul>{buttons}</ul></div>")
        if variation.custom:
            custom = json.dumps(variation.custom, ensure_ascii=False)
            parts.append(f"<div class='small'>Custom payload: <code>{e(custom)}</code></div>")
        parts.append(
            f"<dl><dt>Source section</dt><dd>{e(variation.source or 'none')}</dd>"
            f"<dt>Reviewed</dt><dd>{e(variation.reviewed or 'none')}</dd></dl>"
        )
    parts.append(f"<dl><dt>Review</dt><dd>{_status_html(status)}</dd>"
                 f"<dt>Topic</dt><dd>{e(response.topic)}</dd></dl>")
    reached = _routes_html(review, review.routes.get(response.name, []))
    parts.append(f"<div><strong>Reached by</strong>{reached}</div>")
    parts.append("</article>")
    return "\n".join(parts)


def service_html(review: ContentReview, record: ServiceRecord) -> str:
    status = review.service_status[record.key]
    rows = []
    known = [key for key, _ in SERVICE_FIELDS]
    labels = dict(SERVICE_FIELDS)
    for key in known + [k for k in record.fields if k not in known]:
        if key not in record.fields or record.fields[key] in (None, "", []):
            continue
        value = record.fields[key]
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        rows.append(f"<dt>{e(labels.get(key, key))}</dt><dd>{e(shown)}</dd>")
    flag = '<span class="flag">OVERDUE</span>' if status.overdue else ""
    return (
        f'<article class="service{" overdue" if status.overdue else ""}" '
        f'id="{anchor("service", record.key)}">'
        f"<h4>{e(record.name)}{flag}</h4>"
        f"<dl>{''.join(rows)}<dt>Review</dt><dd>{_status_html(status)}</dd>"
        f"<dt>File</dt><dd>{e(record.origin)}</dd></dl></article>"
    )


def banner_html(review: ContentReview) -> str:
    policy = review.policy
    days = review.source_overdue_days
    month = policy.next_update_due.strftime("%B %Y")
    counts = (f"{len(review.overdue_responses)} of {len(review.responses)} responses and "
              f"{len(review.overdue_services)} of {len(review.services)} service records "
              "are past their review date.")
    if days > 0:
        text = (f'<div class="banner" role="alert"><strong>OVERDUE: the source factsheet\'s next '
                f"update was due {e(month)}.</strong> It was due by "
                f"{e(_date(policy.next_update_due))} and is now {days} days overdue. Every reply "
                "that states a fact from it must be "
                f"checked against the current factsheet. {e(counts)}</div>")
    elif review.overdue_responses or review.overdue_services:
        text = (f'<div class="banner" role="alert"><strong>Content is past its review date.'
                f"</strong> The source factsheet's next update is due {e(month)} "
                f"(in {-days} days). {e(counts)}</div>")
    else:
        text = (f'<div class="banner ok"><strong>Nothing is past its review date.</strong> '
                f"The source factsheet's next update is due {e(month)} (in {-days} days).</div>")
    for problem in review.policy_problems:
        text += f'<div class="problem">Check the review policy: {e(problem)}.</div>'
    return text


def _risk_summary_html(review: ContentReview) -> str:
    risk_cfg = next((p for p in review.config.get("pipeline") or []
                     if isinstance(p, dict) and str(p.get("name", "")).endswith("RiskScreen")), {})
    rows = []
    for kind in review.risk.kinds:
        # A `general` match gets its intent from who is talked about.
        intents = [kind.intent] if kind.intent else ["risk_someone_else", "risk_self"]
        replies = [n for n in review.crisis_names
                   if any(r.intent in intents for r in review.routes.get(n, []))]
        reply = " or ".join(f"<a href='#{anchor('resp', n)}'><code>{e(n)}</code></a>"
                            for n in replies)
        who = (f"<code>{e(kind.intent)}</code>" if kind.intent else
               "by who is talked about: someone else → <code>risk_someone_else</code>; "
               "the typing person, or nobody named → <code>risk_self</code>")
        size = ", ".join(f"{len(items)} {label}" for items, label in (
            (kind.exact, "whole messages"), (kind.phrases, "phrases"),
            (kind.patterns, "patterns")) if items)
        sample = ", ".join(f"“{e(p)}”" for p in (kind.exact + kind.phrases)[:INLINE_RISK_PHRASES])
        rows.append(
            f"<tr><td><a href='#{anchor('risk', kind.kind)}'>{e(kind.kind)}</a><br>"
            f"<span class='small'>{who}</span></td><td class='small'>{reply or '—'}</td>"
            f"<td class='small'>{e(size)}</td><td class='small'>{sample} …</td></tr>"
        )
    return (
        "<h3>What sends a crisis reply: the risk screen</h3>"
        "<p>Every message is screened before anything else decides. A match on any phrase, "
        "pattern or whole message below forces the risk intent at full confidence, whatever "
        "the classifier thought; a rule then sends the fixed crisis reply. Typos, slang and "
        "word forms are normalised first (for example “kms” → “kill myself”; "
        f"{len(review.risk.spellings)} spellings in all). The full lexicon is in "
        "<a href='#appendix-risk'>Appendix B</a>.</p>"
        "<table class='risk'><tr><th>Kind and intent</th><th>Crisis reply</th><th>Lexicon</th>"
        f"<th>Some of the phrases</th></tr>{''.join(rows)}</table>"
        "<p>When no pattern matches, the classifier can still see risk from the example phrases "
        "of the risk intents: at a confidence of "
        f"{e(risk_cfg.get('classifier_min_confidence', '?'))} or more the crisis reply is sent; "
        f"from {e(risk_cfg.get('classifier_check_min_confidence', '?'))} up to that, the "
        "gentle crisis reply (<code>utter_crisis_check</code>, intent <code>risk_check</code>); "
        "below that, the fallback reply, which also names 999 and Samaritans. Ordinary idioms "
        f"such as “killing time” are never a match ({len(review.risk.not_risk)} listed).</p>"
    )


def _appendix_intents_html(review: ContentReview) -> str:
    parts = []
    for name in sorted(review.intents):
        info = review.intents[name]
        listing = "".join(f"<li>{e(x)}</li>" for x in info.examples)
        notes = "".join(f"<li>{e(s)}</li>" for s in info.set_by)
        parts.append(
            f'<div id="{anchor("intent", name)}"><h4><code>{e(name)}</code> '
            f"<span class='small'>({len(info.examples)} examples)</span></h4>"
            + (f"<ul class='small'>{notes}</ul>" if notes else "")
            + (f"<ol class='lexicon'>{listing}</ol>" if listing
               else "<p class='small'>No example phrases (set by a button or a component).</p>")
            + "</div>"
        )
    return "\n".join(parts)


def _appendix_risk_html(review: ContentReview) -> str:
    risk = review.risk
    parts = [
        "<p class='small'>Pattern notation: <code>a|b</code> any of these words; "
        "<code>@group</code> any word of a group below; <code>word?</code> optional; "
        "<code>*</code> any one word, optional; <code>~@group</code> any one word not in the "
        "group, optional; <code>=word</code> exactly this form. Words match in any form "
        "(“take” also matches “took”).</p>"
    ]
    for kind in risk.kinds:
        intent = kind.intent or "risk_someone_else or risk_self, by who is talked about"
        parts.append(f'<h3 id="{anchor("risk", kind.kind)}">{e(kind.kind)} → {e(intent)}</h3>')
        for title, items, code in (("Whole messages", kind.exact, False),
                                   ("Phrases", kind.phrases, False),
                                   ("Patterns", kind.patterns, True)):
            if items:
                shown = "".join(f"<li><code>{e(x)}</code></li>" if code else f"<li>{e(x)}</li>"
                                for x in items)
                listing = "patterns small" if code else "lexicon"
                parts.append(f"<h4>{title} ({len(items)})</h4><ul class='{listing}'>{shown}</ul>")
    groups = "".join(
        f"<tr><td><code>@{e(k)}</code></td><td class='small'>{e(', '.join(v))}</td></tr>"
        for k, v in risk.groups.items()
    )
    parts.append(f"<h3>Word groups</h3><table>{groups}</table>")
    parts.append("<h3>Never a match (ordinary idioms)</h3><ul class='lexicon'>"
                 + "".join(f"<li>{e(x)}</li>" for x in risk.not_risk) + "</ul>")
    spellings = "".join(f"<li>{e(k)} → {e(v)}</li>" for k, v in risk.spellings.items())
    parts.append("<h3>Spellings and slang normalised first</h3>"
                 f"<ul class='lexicon'>{spellings}</ul>")
    return "\n".join(parts)


def render_html(review: ContentReview) -> str:
    policy = review.policy
    root = review.root
    domain_bytes = (root / "domain.yml").read_bytes()
    crisis = [r for r in review.responses if r.name in review.crisis_names]
    others = [r for r in review.responses if r.name not in review.crisis_names]
    topics: Dict[str, List[Response]] = {}
    for response in others:
        topics.setdefault(response.topic, []).append(response)
    unreached = review.unreached

    facts = [
        ("Generated", review.today.isoformat()),
        ("Assistant", f"{review.config.get('assistant_id', '')} (Rasa Open Source 3.6)"),
        ("Domain", f"domain.yml, sha256 {hashlib.sha256(domain_bytes).hexdigest()[:16]}: "
                   f"{len(review.responses)} responses, {len(review.intents)} intents"),
        ("Model", _model_line(root)),
        ("Code version", _git_line(root)),
        ("Source", f"{policy.title} (last updated {policy.last_updated}; next update due "
                   f"{policy.next_update_due.isoformat()})"),
        ("Review policy", f"A response is past its review date when its reviewed date + "
                          f"{policy.review_interval_months} months is before today, or when it "
                          "states facts from the factsheet (source is not “assistant”) and the "
                          "factsheet's next update was due before today. Every service record "
                          "comes from the factsheet and follows its date "
                          "(docs/safety/content-sources.yml)."),
    ]
    fact_rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)
    topic_nav = "".join(f"<li><a href='#{anchor('topic', t)}'>{e(t)}</a> ({len(rs)})</li>"
                        for t, rs in topics.items())
    body = [
        "<header>",
        "<h1>Carer guide: clinical content review</h1>",
        f"<p class='meta'>Every reply the assistant can send, what leads to it, and every "
        f"service record. Generated {e(_date(review.today))}.</p>",
        banner_html(review),
        f"<table class='facts'>{fact_rows}</table>",
        "<h3>Sign-off</h3>",
        "<table class='signoff'><tr><th>Role</th><th>Name</th><th>Date</th><th>Signature</th>"
        "<th>Notes</th></tr>"
        + "".join(f"<tr><td>{e(role)}</td><td></td><td></td><td></td><td></td></tr>"
                  for role in ("Clinical reviewer", "Second reviewer", "Content owner"))
        + "</table>",
        "<nav><h3>Contents</h3><ol>"
        f"<li><a href='#crisis'>Crisis replies</a> ({len(crisis)})</li>"
        f"<li><a href='#responses'>Responses by topic</a> ({len(others)})<ol>{topic_nav}</ol></li>"
        f"<li><a href='#services'>Service records</a> ({len(review.services)})</li>"
        "<li><a href='#appendix-intents'>Appendix A: intents and example phrases</a></li>"
        "<li><a href='#appendix-risk'>Appendix B: risk screen lexicon</a></li>"
        "</ol></nav>",
        "</header>",
        "<section id='crisis'><h2>1. Crisis replies</h2>",
        "<p>Sent for any risk-related message, at any point of a conversation. Fixed text, "
        "never built from what was typed; the crisis card (custom payload) shows 999, "
        "Samaritans and Shout. The check-in asks before sending the crisis reply when only the "
        "classifier, on a weak score, saw risk.</p>",
        *[response_html(review, r) for r in crisis],
        _risk_summary_html(review),
        "</section>",
        "<section id='responses'><h2>2. Responses by topic</h2>",
        "<p>In the order of domain.yml. <strong>Reached by</strong> lists the intents (what "
        "people type, or the buttons they tap) that lead to each reply, from the rules and "
        "stories, the form, the custom actions and config.yml.</p>",
    ]
    if unreached:
        body.append("<div class='problem'>Not reached by any rule or story: "
                    + ", ".join(f"<code>{e(n)}</code>" for n in unreached) + "</div>")
    for topic, items in topics.items():
        body.append(f"<h3 id='{anchor('topic', topic)}'>{e(topic)}</h3>")
        body += [response_html(review, r) for r in items]
    body += [
        "</section>",
        "<section id='services'><h2>3. Service records</h2>",
        "<p>The service directory (data/services/). The assistant shows a service as a message "
        "built only from these fields. Every record comes from the factsheet's "
        "“Useful contacts” and other sections.</p>",
        *[service_html(review, s) for s in review.services],
        "</section>",
        "<section id='appendix-intents'><h2>Appendix A: intents and example phrases</h2>",
        "<p>Every intent with all its example phrases from data/nlu.yml (what the classifier "
        "learns from).</p>",
        _appendix_intents_html(review),
        "</section>",
        "<section id='appendix-risk'><h2>Appendix B: risk screen lexicon</h2>",
        _appendix_risk_html(review),
        "</section>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Carer guide: clinical content review, {e(review.today.isoformat())}</title>"
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_pdf(html_path: Path, pdf_path: Path, chromium: str = CHROMIUM) -> Optional[str]:
    """Prints the HTML to PDF with headless chromium; None on success, else why not."""
    if not (Path(chromium).is_file() and os.access(chromium, os.X_OK)):
        return f"no PDF: {chromium} is not installed (`make browser` installs it)"
    with tempfile.TemporaryDirectory(prefix="content-report-") as profile:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=180, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"no PDF: chromium failed ({error})"
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        return "no PDF: chromium wrote nothing"
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="default: reports/")
    parser.add_argument("--today", type=datetime.date.fromisoformat, help="default: today")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    args = parser.parse_args(argv)
    review = collect(today=args.today)
    args.out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = args.out / HTML_NAME, args.out / PDF_NAME
    html_path.write_text(render_html(review), encoding="utf-8")
    print(f"Wrote {html_path}")
    pdf_path.unlink(missing_ok=True)  # never leave a stale PDF beside a new HTML
    if not args.no_pdf:
        problem = write_pdf(html_path, pdf_path)
        print(problem or f"Wrote {pdf_path}")
    overdue = len(review.overdue_responses) + len(review.overdue_services)
    print(f"{overdue} items past their review date; source factsheet next update due "
          f"{review.policy.next_update_due.isoformat()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
