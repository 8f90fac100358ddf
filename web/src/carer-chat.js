// Carer guide chat widget: one script tag plus one JSON config object.
//
//   <script type="application/json" id="carer-chat-config">
//     {"serverUrl": "https://chat.example.org", "title": "Chat with our carer guide"}
//   </script>
//   <script src="/dist/carer-chat.js" defer></script>
//
// Talks to Rasa 3.6's socket.io channel (components/channels.py):
// session_request {token} -> session_confirm {session_id, token}, user_uttered
// {message, message_id}, bot_uttered {text, quick_replies} and {custom}. The
// server issues the conversation; the signed token (kept for this tab only)
// is all a reload needs to resume it. Builds its UI in a shadow root so the host page's CSS can't break
// it. Message text only ever reaches the page through text nodes.

import { io } from "socket.io-client";

import { appendLinkified } from "./linkify.js";

const STORE_KEY = "carerChat.v1";
const STORE_PREFIX = "carerChat.";
const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
const MAX_MESSAGES = 300;
const MAX_INPUT_CHARS = 4000;
const ESC_TWICE_MS = 1500;
const WELCOME_PAYLOAD = "/greet";

const SCRIPT_SRC = document.currentScript ? document.currentScript.src : "";

// ----- config ------------------------------------------------------------

/** An http(s) URL without a trailing slash, or null (e.g. an unfilled "{{...}}"). */
function httpUrl(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "http:" || url.protocol === "https:"
      ? url.href.replace(/\/$/, "") : null;
  } catch {
    return null;
  }
}

function readConfig() {
  let cfg = {};
  const el = document.getElementById("carer-chat-config");
  if (el) {
    try {
      cfg = JSON.parse(el.textContent || "{}") || {};
    } catch {
      cfg = {};
    }
  }
  return {
    // Without a server URL the chat server is the page's own origin (behind
    // the same proxy, as in the production profile).
    serverUrl: httpUrl(cfg.serverUrl) || httpUrl(window.CHAT_SERVER_URL) || location.origin,
    socketPath: String(cfg.socketPath || "/socket.io"),
    title: String(cfg.title || "Chat with our carer guide"),
    launcherText: String(cfg.launcherText || "Chat with us"),
    // Quick exit goes to an http(s) page only (never javascript: or data:).
    exitUrl: httpUrl(cfg.exitUrl) || DEFAULT_EXIT_URL,
    styleUrl: String(cfg.styleUrl || new URL("carer-chat.css", SCRIPT_SRC || location.href)),
  };
}

// ----- state kept for this tab only (sessionStorage) -----------------------

function freshState() {
  // pending: not yet sent; inflight: sent, no answer yet (sent again after a
  // reconnect with the same message_id, which the server answers only once).
  return { accepted: false, open: false, sessionToken: null, greeted: false, messages: [],
    pending: [], inflight: [], crisis: null };
}

function loadState() {
  try {
    const raw = window.sessionStorage.getItem(STORE_KEY);
    if (!raw) return freshState();
    const data = JSON.parse(raw);
    return { ...freshState(), ...data };
  } catch {
    return freshState();
  }
}

function saveState(state) {
  try {
    state.messages = state.messages.slice(-MAX_MESSAGES);
    window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
  } catch {
    // Storage full or blocked: the chat still works, it just won't survive a reload.
  }
}

function newMessageId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function clearStoredChat() {
  for (const store of [window.sessionStorage, window.localStorage]) {
    try {
      for (let i = store.length - 1; i >= 0; i -= 1) {
        const key = store.key(i);
        if (key && key.startsWith(STORE_PREFIX)) store.removeItem(key);
      }
    } catch {
      // blocked storage holds nothing of ours
    }
  }
}

// ----- small DOM helper ------------------------------------------------------

function h(doc, tag, attrs = {}, children = []) {
  const el = doc.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "text") el.textContent = value;
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child) el.append(child);
  }
  return el;
}

// ----- the widget ------------------------------------------------------------

class CarerChat {
  constructor(cfg) {
    this.cfg = cfg;
    this.state = loadState();
    this.socket = null;
    this.ready = false;
    this.lastEsc = 0;
    this.exiting = false;
    this.buildDom();
    this.renderAll();
    window.addEventListener("keydown", (event) => this.onKeydown(event), true);
    if (this.state.accepted) this.connect();
  }

  // --- DOM ---

  buildDom() {
    const doc = document;
    this.host = h(doc, "div", { id: "carer-chat", "data-carer-chat": "" });
    this.host.style.visibility = "hidden"; // until our stylesheet has loaded
    const root = this.host.attachShadow({ mode: "open" });
    this.root = root;
    const style = h(doc, "link", { rel: "stylesheet", href: this.cfg.styleUrl });
    const reveal = () => { this.host.style.visibility = ""; };
    style.addEventListener("load", reveal);
    style.addEventListener("error", reveal);
    window.setTimeout(reveal, 3000);

    const exitButton = (extraClass) => {
      const button = h(doc, "button", {
        type: "button", class: `cc-exit ${extraClass}`,
        "aria-describedby": "cc-exit-hint",
      }, [h(doc, "span", { text: "Quick exit" })]);
      button.addEventListener("click", () => this.quickExit());
      return button;
    };

    this.launcher = h(doc, "button", {
      type: "button", class: "cc-launcher", "aria-expanded": "false",
      "aria-controls": "cc-panel", text: this.cfg.launcherText,
    });
    this.launcher.addEventListener("click", () => this.setOpen(true));
    this.dock = h(doc, "div", { class: "cc-dock" }, [exitButton("cc-exit-dock"), this.launcher]);

    this.closeButton = h(doc, "button", { type: "button", class: "cc-close" }, [
      h(doc, "span", { class: "cc-close-icon", "aria-hidden": "true", text: "\u00d7" }),
      " Close",
    ]);
    this.closeButton.addEventListener("click", () => this.setOpen(false));

    const header = h(doc, "div", { class: "cc-header" }, [
      h(doc, "h2", { id: "cc-title", class: "cc-title", text: this.cfg.title }),
      exitButton("cc-exit-panel"),
      this.closeButton,
    ]);
    const danger = h(doc, "p", { class: "cc-danger" }, [
      "If someone is in danger now, ",
      h(doc, "a", { href: "tel:999", class: "cc-danger-link", text: "call 999" }),
      h(doc, "span", { id: "cc-exit-hint", class: "cc-exit-hint",
        text: " Quick exit (or Esc twice) leaves this site and clears the chat." }),
    ]);

    // Crisis card: the role="alert" container exists from the start so that
    // filling it is announced at once.
    this.crisisSlot = h(doc, "div", { class: "cc-crisis-slot", role: "alert" });

    this.notice = this.buildNotice(doc);

    this.log = h(doc, "div", {
      class: "cc-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Conversation", tabindex: "-1",
    });
    this.status = h(doc, "p", { class: "cc-status", role: "status" });

    this.input = h(doc, "input", {
      id: "cc-input", class: "cc-input", type: "text", autocomplete: "off",
      autocapitalize: "sentences", enterkeyhint: "send", spellcheck: "true",
      placeholder: "Type your question",
      // The server refuses frames over 16 KB; 4,000 UTF-16 units stay under it.
      maxlength: MAX_INPUT_CHARS,
    });
    this.form = h(doc, "form", { class: "cc-form", novalidate: true }, [
      h(doc, "label", { for: "cc-input", class: "cc-vh", text: "Your message" }),
      this.input,
      h(doc, "button", { type: "submit", class: "cc-send", text: "Send" }),
    ]);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendTyped();
    });
    this.chat = h(doc, "div", { class: "cc-chat" }, [this.log, this.status, this.form]);

    this.panel = h(doc, "section", {
      id: "cc-panel", class: "cc-panel", "aria-labelledby": "cc-title",
    }, [header, danger, this.crisisSlot, this.notice, this.chat]);

    root.append(style, h(doc, "aside", { class: "cc", "aria-label": this.cfg.title },
      [this.dock, this.panel]));
    (document.body || document.documentElement).append(this.host);
  }

  buildNotice(doc) {
    this.startButton = h(doc, "button", { type: "button", class: "cc-start", text: "Start chat" });
    this.startButton.addEventListener("click", () => this.accept());
    const item = (text) => h(doc, "li", { text });
    return h(doc, "div", { class: "cc-notice" }, [
      h(doc, "h3", { id: "cc-notice-title", class: "cc-notice-title", tabindex: "-1",
        text: "Before you start" }),
      h(doc, "ul", { class: "cc-notice-list" }, [
        item("This is an automated assistant, not a person or a counsellor. "
          + "It shares checked information and points you to support."),
        item("What you type is stored with the conversation on the charity's server, "
          + "with email addresses, phone numbers, postcodes and other personal details "
          + "removed, and deleted 30 days after your last message."),
        item("Please don't type names, addresses or phone numbers."),
        item("This browser tab keeps the chat until you close the tab or press Quick exit."),
      ]),
      this.startButton,
    ]);
  }

  // --- rendering ---

  renderAll() {
    const { accepted, open } = this.state;
    this.panel.hidden = !open;
    this.dock.hidden = open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.notice.hidden = accepted;
    this.chat.hidden = !accepted;
    this.log.replaceChildren();
    const lastUser = this.state.messages.map((m) => m.from).lastIndexOf("user");
    this.state.messages.forEach((msg, index) => {
      // Only answers after the last thing the user sent keep their buttons.
      this.log.append(this.renderMessage(msg, index > lastUser));
    });
    this.renderCrisis(false);
    this.scrollToTurn();
  }

  renderMessage(msg, withButtons) {
    const doc = document;
    const isBot = msg.from === "bot";
    const bubble = h(doc, "p", { class: "cc-bubble" }, [
      h(doc, "span", { class: "cc-vh", text: isBot ? "Guide: " : "You: " }),
    ]);
    if (isBot) appendLinkified(bubble, msg.text);
    else bubble.append(doc.createTextNode(msg.text)); // never HTML, never links
    const item = h(doc, "div", { class: `cc-msg ${isBot ? "cc-bot" : "cc-user"}` }, [bubble]);
    if (isBot && withButtons && Array.isArray(msg.buttons) && msg.buttons.length) {
      const group = h(doc, "div", { class: "cc-replies", role: "group",
        "aria-label": "Choices" });
      for (const choice of msg.buttons) {
        const button = h(doc, "button", { type: "button", class: "cc-reply",
          text: String(choice.title) });
        button.addEventListener("click", () => this.sendChoice(choice));
        group.append(button);
      }
      item.append(group);
    }
    return item;
  }

  renderCrisis(announce) {
    const doc = document;
    const crisis = this.state.crisis;
    if (!crisis) {
      this.crisisSlot.replaceChildren();
      return;
    }
    if (!announce && this.crisisSlot.firstChild) return;
    const link = (href, main, sub, cls) => h(doc, "li", {}, [
      h(doc, "a", { href, class: `cc-crisis-link ${cls}` }, [
        h(doc, "span", { class: "cc-crisis-main", text: main }),
        h(doc, "span", { class: "cc-crisis-sub", text: sub }),
      ]),
    ]);
    const hide = h(doc, "button", { type: "button", class: "cc-crisis-hide",
      text: "Hide this box" });
    const head = h(doc, "div", { class: "cc-crisis-head" }, [
      h(doc, "h3", { id: "cc-crisis-title", class: "cc-crisis-title", text: "Help right now" }),
      hide,
    ]);
    hide.addEventListener("click", () => this.dismissCrisis());
    const card = h(doc, "section", { class: "cc-crisis", "aria-labelledby": "cc-crisis-title",
      "data-kind": String(crisis.kind || "") }, [
      head,
      h(doc, "ul", { class: "cc-crisis-links" }, [
        link("tel:999", "Call 999", "if a life is in danger now", "cc-call-999"),
        link("tel:116123", "Call Samaritans: 116 123", "24 hours, every day",
          "cc-call-samaritans"),
        link("sms:85258?&body=Shout", "Text Shout to 85258", "text support in a crisis",
          "cc-text-shout"),
      ]),
    ]);
    this.crisisSlot.replaceChildren(card);
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Shows the latest answer from its start: the user's last message at the top. */
  scrollToTurn() {
    const users = this.log.querySelectorAll(".cc-user");
    const anchor = users.length ? users[users.length - 1] : this.log.querySelector(".cc-msg");
    if (anchor) this.log.scrollTop = Math.max(0, anchor.offsetTop - 8);
  }

  setStatus(text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  // --- user actions ---

  setOpen(open) {
    this.state.open = open;
    saveState(this.state);
    this.renderAll();
    if (open) {
      const target = this.state.accepted ? this.log : this.notice.querySelector("#cc-notice-title");
      target.focus({ preventScroll: true });
    } else {
      this.launcher.focus();
    }
  }

  accept() {
    this.state.accepted = true;
    saveState(this.state);
    this.renderAll();
    this.log.focus({ preventScroll: true });
    this.setStatus("Connecting\u2026");
    this.connect();
  }

  sendTyped() {
    const text = this.input.value.trim().slice(0, MAX_INPUT_CHARS);
    if (!text) {
      this.setStatus("Type a message first.");
      return;
    }
    this.input.value = "";
    this.send(text, text);
  }

  sendChoice(choice) {
    this.send(String(choice.title), String(choice.payload));
    this.log.focus({ preventScroll: true });
  }

  send(shown, payload) {
    this.state.messages.push({ from: "user", text: shown });
    this.state.pending.push({ message: payload, id: newMessageId() });
    saveState(this.state);
    // Older choices go: only the next answer's buttons stay.
    for (const group of this.log.querySelectorAll(".cc-replies")) group.remove();
    this.log.append(this.renderMessage({ from: "user", text: shown }, false));
    this.scrollToEnd();
    this.flush();
  }

  dismissCrisis() {
    this.state.crisis = null;
    saveState(this.state);
    this.renderCrisis(false);
    this.log.focus({ preventScroll: true });
  }

  onKeydown(event) {
    if (event.key !== "Escape" || event.repeat) return;
    const now = Date.now();
    if (now - this.lastEsc <= ESC_TWICE_MS) {
      event.preventDefault();
      this.quickExit();
    } else {
      this.lastEsc = now;
    }
  }

  quickExit() {
    if (this.exiting) return;
    this.exiting = true;
    try {
      if (this.socket) this.socket.disconnect();
    } catch {
      // leaving anyway
    }
    this.state = freshState();
    clearStoredChat();
    this.root.replaceChildren();
    this.host.remove();
    // Hide the page at once, then replace it so Back does not return here.
    document.title = "";
    if (document.body) document.body.replaceChildren();
    window.location.replace(this.cfg.exitUrl);
  }

  // --- socket.io ---

  connect() {
    if (this.socket) return;
    const socket = io(this.cfg.serverUrl, {
      path: this.cfg.socketPath,
      reconnectionDelayMax: 10000,
      timeout: 15000,
    });
    this.socket = socket;
    socket.on("connect", () => {
      // The server resumes the conversation only for its own signed token.
      socket.emit("session_request", { token: this.state.sessionToken || null });
    });
    socket.on("session_confirm", (data) => {
      const token = data && typeof data === "object" ? data.token : null;
      if (typeof token !== "string" || !token) return;
      this.state.sessionToken = token;
      this.ready = true;
      this.setStatus("");
      if (!this.state.greeted) {
        this.state.greeted = true;
        this.state.pending.unshift({ message: WELCOME_PAYLOAD, id: newMessageId() });
      }
      // Anything sent but not answered before a reconnect goes again first.
      this.state.pending = this.state.inflight.concat(this.state.pending);
      this.state.inflight = [];
      this.flush();
    });
    socket.on("bot_uttered", (data) => this.onBotMessage(data));
    socket.on("chat_error", () => {
      this.setStatus("Sorry, something went wrong on our side. If you got no answer, "
        + "please send your message again. If someone is in danger now, call 999.");
    });
    socket.on("disconnect", () => {
      this.ready = false;
      if (!this.exiting) this.setStatus("Connection lost. Reconnecting\u2026");
    });
    socket.on("connect_error", () => {
      this.ready = false;
      this.setStatus("Can't reach the chat just now. Trying again\u2026 "
        + "If someone is in danger now, call 999.");
    });
  }

  flush() {
    if (!this.ready || !this.socket) return;
    while (this.state.pending.length) {
      const item = this.state.pending.shift();
      this.state.inflight.push(item);
      this.socket.emit("user_uttered", {
        message: item.message, message_id: item.id,
      });
    }
    saveState(this.state);
  }

  onBotMessage(data) {
    if (!data || typeof data !== "object" || this.exiting) return;
    this.state.inflight = [];
    this.setStatus("");
    // {"custom": {...}} from components/socketio_output.py; a bare payload too.
    let custom = null;
    if (data.custom && typeof data.custom === "object") custom = data.custom;
    else if ("crisis" in data) custom = data;
    if (custom && custom.crisis === true) {
      this.state.crisis = { kind: typeof custom.kind === "string" ? custom.kind : "" };
      saveState(this.state);
      this.renderCrisis(true);
      this.scrollToTurn(); // the card took room from the conversation
    }
    if (typeof data.text === "string" && data.text.trim()) {
      const raw = data.quick_replies || data.buttons || [];
      const buttons = Array.isArray(raw)
        ? raw.filter((b) => b && b.title && b.payload)
          .map((b) => ({ title: String(b.title), payload: String(b.payload) }))
        : [];
      const msg = { from: "bot", text: data.text, buttons };
      this.state.messages.push(msg);
      saveState(this.state);
      this.log.append(this.renderMessage(msg, true));
      this.scrollToTurn();
    }
    saveState(this.state);
  }
}

function start() {
  if (document.querySelector("[data-carer-chat]")) return;
  new CarerChat(readConfig()); // eslint-disable-line no-new
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
