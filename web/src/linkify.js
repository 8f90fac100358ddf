// Turns message text into DOM nodes: plain text nodes, plus <a> elements for
// web addresses, email addresses and Markdown-style links whose target uses a
// safe scheme. Nothing is ever parsed as HTML: every piece of text goes in
// through a text node, so "<img onerror=...>" shows up as those characters.

const SAFE_SCHEMES = new Set(["http:", "https:", "tel:", "sms:", "mailto:"]);

// [label](target) | http(s)://... | www.... | name@domain.tld
const TOKEN = new RegExp(
  [
    String.raw`\[([^\[\]\n]{1,200})\]\(([^()\s]{1,2000})\)`,
    String.raw`\bhttps?:\/\/[^\s<>"']+`,
    String.raw`\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>"']*`,
    String.raw`\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b`,
  ].join("|"),
  "gi",
);

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

/** Splits trailing sentence punctuation (and an unmatched ")") off a bare address. */
function trimTrailing(match) {
  let end = match.length;
  while (end > 0) {
    const ch = match[end - 1];
    if (".,;:!?'\"".includes(ch)) {
      end -= 1;
    } else if (ch === ")" && (match.slice(0, end).match(/\(/g) || []).length <
      (match.slice(0, end).match(/\)/g) || []).length) {
      end -= 1;
    } else {
      break;
    }
  }
  return [match.slice(0, end), match.slice(end)];
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

/** Appends `text` to `parent` as text nodes and safe links. */
export function appendLinkified(parent, text) {
  const doc = parent.ownerDocument;
  const source = String(text ?? "");
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(source); m !== null; m = TOKEN.exec(source)) {
    const before = source.slice(last, m.index);
    if (before) parent.append(doc.createTextNode(before));
    if (m[1] !== undefined) {
      // Markdown link: link only when the target is safe, else show the label.
      const href = safeHref(m[2]);
      parent.append(href ? makeLink(doc, href, m[1]) : doc.createTextNode(m[1]));
    } else {
      const [address, rest] = trimTrailing(m[0]);
      const href = safeHref(address);
      parent.append(href ? makeLink(doc, href, address) : doc.createTextNode(address));
      if (rest) parent.append(doc.createTextNode(rest));
    }
    last = m.index + m[0].length;
  }
  const tail = source.slice(last);
  if (tail) parent.append(doc.createTextNode(tail));
}
