// Turns message text into DOM nodes: plain text nodes, plus <a> elements for
// web addresses, email addresses and Markdown-style links whose target uses a
// safe scheme. Nothing is ever parsed as HTML: every piece of text goes in
// through a text node, so "<img onerror=...>" shows up as those characters.
//
// Finding addresses is linkify-it's job (npm, bundled by esbuild): linear
// time, trailing punctuation and brackets handled. Only text up to
// MAX_LINKIFY_CHARS is searched; anything after it stays plain text.

import { LinkifyIt } from "linkify-it";

const SAFE_SCHEMES = new Set(["http:", "https:", "tel:", "sms:", "mailto:"]);
export const MAX_LINKIFY_CHARS = 5000;
// A phone-like number: 3+ digits, maybe with spaces, dashes, dots or brackets.
const NUMBER_LIKE = /\+?\d[\d\s().-]{1,}\d/;
// [label](target): bounded, no nesting, so matching is linear.
const MARKDOWN_LINK = /\[([^[\]\n]{1,200})\]\(([^()\s]{1,2000})\)/g;

const PHONE_TAIL = /^\+?\d[\d-]{1,19}\d/;
const phoneTail = { validate: (text, pos) => (PHONE_TAIL.exec(text.slice(pos)) || [""])[0].length };
// No ftp: or protocol-relative links; tel: and sms: for helplines.
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: false,
  maxLength: 2000 })
  .add("ftp:", null)
  .add("//", null)
  .add("tel:", phoneTail)
  .add("sms:", phoneTail);

/** The href for `raw` when its scheme is safe, else null. */
export function safeHref(raw) {
  let candidate = String(raw).trim();
  if (/^www\./i.test(candidate)) candidate = `https://${candidate}`;
  else if (/^[^:/?#\s]+@[^:/?#\s]+$/.test(candidate)) candidate = `mailto:${candidate}`;
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (!SAFE_SCHEMES.has(url.protocol)) return null;
  if ((url.protocol === "http:" || url.protocol === "https:") && !url.hostname) return null;
  return url.href;
}

function digits(text) {
  return String(text).replace(/\D/g, "");
}

/**
 * True when a Markdown label may stand for `href`: a plain phrase, or the
 * same address or number as the target. A label that reads as another web
 * address, email or phone number than where the link goes is refused.
 */
export function labelFitsTarget(label, href) {
  const found = linkify.match(label) || [];
  if (found.length > 1) return false;
  if (found.length === 1) {
    // http and https of the same address are the same place.
    const same = (url) => String(url).replace(/^http:/, "https:");
    const shown = safeHref(found[0].url);
    return shown !== null && same(shown) === same(href);
  }
  const number = label.match(NUMBER_LIKE);
  if (number && digits(number[0]).length >= 3) {
    return /^(tel|sms):/.test(href) && digits(number[0]) === digits(href);
  }
  return true;
}

function makeLink(doc, href, label) {
  const a = doc.createElement("a");
  a.href = href;
  a.textContent = label;
  if (href.startsWith("http")) {
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    const hint = doc.createElement("span");
    hint.className = "cc-vh";
    hint.textContent = " (opens in a new tab)";
    a.append(hint);
  } else {
    a.rel = "noopener noreferrer";
  }
  return a;
}

/** Bare addresses in `text` as text nodes and links. */
function appendAddresses(parent, text) {
  const doc = parent.ownerDocument;
  let last = 0;
  for (const m of linkify.match(text) || []) {
    if (m.index > last) parent.append(doc.createTextNode(text.slice(last, m.index)));
    // A bare address ("www.nhs.uk") gets https, not linkify-it's http.
    const url = m.schema === "" ? m.url.replace(/^http:\/\//, "https://") : m.url;
    const href = safeHref(url);
    parent.append(href ? makeLink(doc, href, m.raw) : doc.createTextNode(m.raw));
    last = m.lastIndex;
  }
  if (last < text.length) parent.append(doc.createTextNode(text.slice(last)));
}

/** Appends `text` to `parent` as text nodes and safe links. */
export function appendLinkified(parent, text) {
  const doc = parent.ownerDocument;
  const source = String(text ?? "");
  const searched = source.slice(0, MAX_LINKIFY_CHARS);
  let last = 0;
  MARKDOWN_LINK.lastIndex = 0;
  for (let m = MARKDOWN_LINK.exec(searched); m !== null; m = MARKDOWN_LINK.exec(searched)) {
    appendAddresses(parent, searched.slice(last, m.index));
    // Link only when the target is safe and the label is not another address.
    const href = safeHref(m[2]);
    parent.append(href && labelFitsTarget(m[1], href)
      ? makeLink(doc, href, m[1]) : doc.createTextNode(m[1]));
    last = m.index + m[0].length;
  }
  appendAddresses(parent, searched.slice(last));
  if (source.length > searched.length) {
    parent.append(doc.createTextNode(source.slice(searched.length)));
  }
}
