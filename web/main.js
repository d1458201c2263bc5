// The browser client: joining, the session screen, and sending what the person does.
//
// main.js wires the pieces: link.js moves frames, mirror.js keeps the session (applying
// events with apply.js), render.js draws it, core.js says what may be offered and in
// which words. `?view` makes a read-only projector page with the join QR code.

import { getCore, limit, loadCore, words } from "./core.js";
import { el, replaceContent } from "./dom.js";
import { Link } from "./link.js";
import { Mirror, ResyncNeeded, TRANSIENT_REASONS } from "./mirror.js";
import {
  actionsSection, closedSection, header, maxLength, nowSection, peopleSection,
  rankingSection, summaryText, timerText, treeSection,
} from "./render.js";

const params = new URLSearchParams(location.search);
const VIEW = params.has("view");
const STORE = `whytree:${location.host}:${VIEW ? "viewer" : "participant"}`;

const $ = (id) => document.getElementById(id);

const app = {
  mirror: new Mirror(),
  link: null,
  join: null, // {code, name}
  status: "connecting",
  folded: new Set(),
  composer: null, // what the composer is writing: {kind, ...}
  moving: null, // the answer being moved, while its new place is chosen
  sentFromComposer: new Map(), // op -> composer snapshot, to reopen it if refused
  renderQueued: false,
};

// --- storage: come back as the same person ---------------------------------------------

function loadStored() {
  try {
    return JSON.parse(localStorage.getItem(STORE) || "null");
  } catch {
    return null; // storage off (private mode): join again by hand
  }
}

function store(value) {
  try {
    if (value === null) localStorage.removeItem(STORE);
    else localStorage.setItem(STORE, JSON.stringify(value));
  } catch {
    // storage off: the session still works, only a reload asks again
  }
}

// --- the join screen -------------------------------------------------------------------

function showJoin(errors = {}) {
  $("join").hidden = false;
  $("session").hidden = true;
  $("view-join").hidden = true;
  if (VIEW) {
    $("join-h").textContent = "Projector view";
    $("who-field").hidden = true;
  }
  $("name").maxLength = limit("MAX_NAME");
  $("code").maxLength = limit("MAX_CODE");
  const list = $("join-error-list");
  replaceContent(list);
  for (const field of ["code", "who", "name"]) {
    const message = errors[field];
    $(`${field}-error`).hidden = !message;
    $(`${field}-error`).textContent = message || "";
    $(`${field}-field`).classList.toggle("has-error", Boolean(message));
    if (message) {
      const target = field === "who" ? "who-name" : field;
      list.append(el("li", {}, el("a", { href: `#${target}`, text: message,
        onclick: (event) => { event.preventDefault(); $(target).focus(); } })));
    }
  }
  $("join-errors").hidden = !list.childNodes.length;
  if (list.childNodes.length) $("join-errors").focus();
}

function onJoinSubmit(event) {
  event.preventDefault();
  const code = $("code").value.trim();
  const choice = document.querySelector('input[name="who"]:checked');
  const name = $("name").value.trim();
  const errors = {};
  if (!code) errors.code = "Enter the join code";
  if (!VIEW) {
    if (!choice) errors.who = "Choose whether to join with your name or anonymously";
    else if (choice.value === "name" && !name) errors.name = "Enter your name, or choose anonymous";
  }
  if (Object.keys(errors).length) {
    showJoin(errors);
    return;
  }
  app.join = { code, name: VIEW || choice.value === "anonymous" ? "" : name };
  app.mirror = new Mirror();
  startLink();
}

// --- the link --------------------------------------------------------------------------

function startLink() {
  if (app.link) app.link.stop();
  app.link = new Link({
    onOpen: () => {
      const frame = app.mirror.joinFrame({ code: app.join.code, name: app.join.name,
        role: VIEW ? "viewer" : "participant" });
      app.link.send(frame);
    },
    onFrame: receive,
    onStatus: (status) => {
      app.status = status;
      if (app.mirror.state) queueRender();
    },
    onFatal: (error) => {
      store(null);
      app.mirror = new Mirror();
      if (error.code === "wrong_code") showJoin({ code: error.message });
      else showJoin({ code: error.message });
    },
  });
  app.link.start();
}

function receive(frame) {
  let result;
  try {
    result = app.mirror.receive(frame, Date.now() / 1000);
  } catch (error) {
    if (error instanceof ResyncNeeded) {
      // A gap in the events: start again from the whole state.
      app.mirror.state = null;
      app.link.restart();
      return;
    }
    throw error;
  }
  if (frame.type === "welcome") {
    store({ token: app.mirror.token, code: app.join.code, name: app.join.name });
    for (const pending of app.mirror.pendingFrames()) app.link.send(pending);
    $("join").hidden = true;
    $("session").hidden = false;
    if (VIEW) showViewJoin();
  } else if (frame.type === "rejected" && TRANSIENT_REASONS.has(frame.reason)) {
    // "Not now" rather than "no": the command stays in the outbox. Too fast: send it
    // again in a moment; the host cannot save: it asks everyone to reconnect when it can.
    if (frame.reason === "busy") {
      setTimeout(() => {
        const command = app.mirror.outbox.get(frame.op);
        if (command) app.link.send(command);
      }, 1000);
    } else {
      notice(frame.message);
    }
  } else if (frame.type === "rejected") {
    const snapshot = app.sentFromComposer.get(frame.op);
    if (snapshot && !app.composer) openComposer(snapshot, frame.message);
    else notice(frame.message);
  } else if (frame.type === "error") {
    notice(frame.message);
  } else if (frame.type === "event" && frame.op) {
    app.sentFromComposer.delete(frame.op);
  }
  queueRender();
}

function send(command) {
  const frame = app.mirror.command(command);
  if (!app.link.send(frame)) notice("Not connected right now: it will be sent when the link is back.");
  queueRender(); // what is on its way shows at once (dots, answers)
  return frame.op;
}

function notice(message) {
  const box = $("notice");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.hidden = true; }, 8000);
}

// --- the session screen ----------------------------------------------------------------

const ui = {
  send,
  folded: app.folded,
  toggleFold(id) {
    if (app.folded.has(id)) app.folded.delete(id);
    else app.folded.add(id);
    render();
  },
  openComposer: (what) => openComposer(what),
  state: () => app.mirror.state,
  get moving() { return app.moving; },
  startMove(id) {
    app.moving = id;
    render();
  },
  cancelMove() {
    app.moving = null;
    render();
  },
  moveTo(parent) {
    const cause = app.moving;
    app.moving = null;
    if (cause && app.mirror.state && cause in app.mirror.state.causes) {
      send({ type: "move_cause", cause, parent });
    }
    render();
  },
  waiting: (type, cause) => app.mirror.waiting(type, cause),
  removeCause(cause, below) {
    const more = below ? `\n\nThe ${below} answer${below === 1 ? "" : "s"} below it go too.` : "";
    if (window.confirm(`Remove this answer?\n\n${cause.text}${more}\n\nYou can undo it right after.`)) {
      send({ type: "remove_cause", cause: cause.id });
    }
  },
  removeAction(action) {
    if (window.confirm(`Remove this action?\n\n${action.text}`)) {
      send({ type: "remove_action", action: action.id });
    }
  },
  saveSummary() {
    const state = app.mirror.state;
    const blob = new Blob([summaryText(state)], { type: "text/plain;charset=utf-8" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "whytree-summary.txt" });
    document.body.append(link);
    link.click();
    link.remove();
  },
};

function queueRender() {
  if (app.renderQueued) return;
  app.renderQueued = true;
  requestAnimationFrame(() => {
    app.renderQueued = false;
    render();
  });
}

function render() {
  const { state, me } = app.mirror;
  if (!state) return;
  if (app.moving && !(app.moving in state.causes)) app.moving = null; // removed meanwhile
  const active = document.activeElement;
  if (active && active.tagName === "SELECT" && $("session").contains(active)) {
    // Redrawing now would close the list a phone shows for this choice: wait until the
    // person has chosen (or left it).
    active.addEventListener("blur", queueRender, { once: true });
    replaceContent($("top"), header(state, me, app.status));
    return;
  }
  replaceContent($("top"), header(state, me, app.status));
  replaceContent($("session"),
    nowSection(state, me, ui),
    closedSection(state, ui),
    treeSection(state, me, ui),
    rankingSection(state),
    actionsSection(state, me, ui),
    peopleSection(state, me));
  document.body.classList.toggle("closed", state.phase === "closed");
  tick();
}

function tick() {
  const state = app.mirror.state;
  const timer = $("timer");
  if (state && timer) timer.textContent = timerText(state, app.mirror.serverOffset);
}

// --- the composer: one question at a time ---------------------------------------------

function openComposer(what, error = "") {
  const state = app.mirror.state;
  const w = words(state.mode);
  const core = getCore();
  app.composer = what;
  const form = $("composer");
  const isAction = what.kind === "add_action" || what.kind === "edit_action";
  const titles = {
    add_cause: w.why_prompt,
    edit_cause: "Edit your answer",
    add_action: "Propose an action",
    edit_action: "Edit the action",
  };
  $("composer-title").textContent = titles[what.kind];
  let about = "";
  if (what.kind === "add_cause") {
    about = what.parent === null ? state.situation : state.causes[what.parent]?.text;
  } else if (isAction && what.causes.length) {
    about = what.causes.map((id) => state.causes[id]?.text).filter(Boolean).join(" · ");
  }
  $("composer-about").textContent = about ? `About: ${about}` : "";
  $("composer-label").textContent = isAction ? w.action_question : "Your answer";
  const text = $("composer-text");
  text.maxLength = maxLength(what.kind);
  text.value = what.text || "";
  $("composer-action").hidden = !isAction;
  if (isAction) {
    $("by-inside-label").textContent = core.words.doer_labels.inside;
    $("by-outside-label").textContent = core.words.doer_labels.outside;
    $(what.by === "outside" ? "by-outside" : "by-inside").checked = true;
    $("composer-who").maxLength = limit("MAX_SHORT_TEXT");
    $("composer-who").value = what.who || "";
  }
  $("composer-error").hidden = !error;
  $("composer-error").textContent = error;
  updateCount();
  form.hidden = false;
  document.body.classList.add("composing");
  text.focus();
}

function closeComposer() {
  app.composer = null;
  $("composer").hidden = true;
  document.body.classList.remove("composing");
}

function updateCount() {
  const text = $("composer-text");
  $("composer-count").textContent = `${text.value.length} of ${text.maxLength} characters`;
}

function onComposerSubmit(event) {
  event.preventDefault();
  const what = app.composer;
  if (!what) return;
  const text = $("composer-text").value.trim();
  if (!text) {
    $("composer-error").textContent = "Write something first, or cancel.";
    $("composer-error").hidden = false;
    $("composer-text").focus();
    return;
  }
  const by = document.querySelector('input[name="by"]:checked')?.value || "inside";
  const who = $("composer-who").value.trim();
  const commands = {
    add_cause: () => ({ type: "add_cause", parent: what.parent, text }),
    edit_cause: () => ({ type: "edit_cause", cause: what.cause, text }),
    add_action: () => ({ type: "add_action", text, causes: what.causes, by, who }),
    edit_action: () => ({ type: "edit_action", action: what.action, text, causes: what.causes, by, who }),
  };
  const op = send(commands[what.kind]());
  app.sentFromComposer.set(op, { ...what, text, by, who });
  closeComposer();
}

// --- the projector view ----------------------------------------------------------------

async function showViewJoin() {
  document.body.classList.add("view");
  $("view-join").hidden = false;
  $("view-code").textContent = app.join.code;
  try {
    const response = await fetch("/join.json", { cache: "no-cache" });
    const info = await response.json();
    $("view-url").textContent = info.urls[0] || location.origin;
  } catch {
    $("view-url").textContent = location.origin;
  }
}

// The host lets a browser in only from its own page at a numeric address (a name could
// be anybody's page pointed at it): opened under a name, say where to go instead.
async function warnIfNotNumeric() {
  const name = location.hostname;
  if (name === "localhost" || /^[0-9.]+$/.test(name) || name.startsWith("[")) return;
  try {
    const info = await (await fetch("/join.json", { cache: "no-cache" })).json();
    const address = info.urls[0];
    if (!address) return;
    const box = $("notice");
    replaceContent(box, "This page only works at the host's number address: ",
      el("a", { href: address, text: address }));
    box.hidden = false;
  } catch {
    // the notice is a help, not a must
  }
}

// --- start -----------------------------------------------------------------------------

async function start() {
  try {
    await loadCore();
  } catch {
    notice("The page could not load from the host. Check the Wi-Fi, then reload.");
    return;
  }
  if (VIEW) document.body.classList.add("view");
  warnIfNotNumeric();
  $("join-form").addEventListener("submit", onJoinSubmit);
  $("composer").addEventListener("submit", onComposerSubmit);
  $("composer-cancel").addEventListener("click", closeComposer);
  $("composer-text").addEventListener("input", updateCount);
  $("name").addEventListener("input", () => { $("who-name").checked = true; });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && app.composer) closeComposer();
  });
  setInterval(tick, 1000);
  const code = params.get("code");
  if (code) $("code").value = code;
  const stored = loadStored();
  if (stored && stored.token && stored.code) {
    app.join = { code: stored.code, name: stored.name || "" };
    app.mirror.token = stored.token;
    replaceContent($("session"), el("p", { class: "connecting", role: "status",
      text: "Connecting to the session…" }));
    $("session").hidden = false;
    startLink();
  } else {
    showJoin();
  }
}

start();
