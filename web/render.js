// Drawing the session: pure functions from the mirrored state to elements.
//
// Everything people typed goes in with el(..., {text}) or as a text node; every word
// about the session comes from the core (core.js). `ui` carries what this page alone
// knows (folded answers) and the callbacks that send commands (main.js).

import { el } from "./dom.js";
import { fillHow, getCore, limit, may, words } from "./core.js";
import { childrenIndex } from "./apply.js";
import { notWeighed, ranked, twoByTwo } from "./ranking.js";

export function personName(state, personId, me) {
  if (personId === null || personId === undefined) return null;
  const person = state.people[personId];
  if (me && personId === me.id) return "you";
  if (!person || !person.name) return null;
  return person.name;
}

function authorLine(state, item, me) {
  if (state.settings.anonymous && !(me && item.author === me.id)) return null;
  const name = personName(state, item.author, me);
  return name ? el("span", { class: "author", text: `— ${name}` }) : null;
}

export function header(state, me, status) {
  const core = getCore();
  const statusText = {
    connected: "Connected",
    connecting: "Connecting…",
    waiting: "Connection lost — trying again…",
  }[status] || status;
  return [
    el("h1", { class: "title", text: state.title || "whytree session" }),
    el("p", { class: "step" },
      el("span", { class: "step-title", text: core.words.step_titles[state.phase] }),
      el("span", { class: "timer", id: "timer", "aria-live": "off" })),
    el("p", { class: `link link-${status}`, role: "status", text: statusText }),
  ];
}

export function timerText(state, serverOffset) {
  if (state.timer_ends === null || state.timer_ends === undefined) return "";
  const left = Math.max(0, Math.round(state.timer_ends - (Date.now() / 1000 + serverOffset)));
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  return left ? `Timer: ${minutes}:${seconds} left` : "Timer: time is up";
}

/** How this page's buttons do what the core's step help says (its `how_to` doings). */
function howTo(mode) {
  return {
    add_answer: `Tap “${words(mode).why_prompt}” under the situation or under any answer`,
    fix_answer: "Misplaced? Your own answers have “Move” and “Remove”.",
    dots: "+ adds a dot, − takes one back",
    change: "choose",
    propose: "tap “Propose an action” on one",
  };
}

/** What this step is for and what to do now, in this page's words. */
export function stepHelp(state) {
  const help = state.revealed ? words(state.mode).step_help_revealed : words(state.mode).step_help;
  return fillHow(help[state.phase], howTo(state.mode));
}

export function nowSection(state, me, ui) {
  const section = el("section", { class: "now", "aria-labelledby": "now-h" },
    el("h2", { id: "now-h", text: "What to do now" }),
    el("p", { text: stepHelp(state) }));
  if (may(state, me, "set_done")) {
    const done = Boolean(me.done);
    section.append(el("button", {
      type: "button", class: done ? "done pressed" : "done", "aria-pressed": String(done),
      dataset: { key: "done" }, onclick: () => ui.send({ type: "set_done", done: !done }),
      text: done ? "✓ I'm done (tap to undo)" : "I'm done",
    }));
  }
  if (state.phase === "weigh" && me && me.role !== "viewer") {
    const used = myDotsInAll(state, me, ui);
    section.append(el("p", { class: "budget", dataset: { testid: "budget" },
      text: `Your “matters” dots: ${used} of ${state.settings.dots_per_person} used ` +
            `(at most ${state.settings.dots_per_cause} on one).` }));
  }
  if (state.phase === "weigh" || state.voters) {
    section.append(el("p", { class: "voters",
      text: `${state.voters} ${state.voters === 1 ? "person has" : "people have"} voted.` }));
  }
  return section;
}

export function treeSection(state, me, ui) {
  const w = words(state.mode);
  const below = childrenIndex(state);
  const section = el("section", { class: "tree-section", "aria-labelledby": "tree-h" },
    el("h2", { id: "tree-h", text: "The situation" }),
    el("p", { class: "situation", text: state.situation || "Not written yet." }));
  const moving = ui.moving ? state.causes[ui.moving] : undefined;
  if (moving) {
    section.append(el("div", { class: "moving", role: "status" },
      el("p", { text: `Moving “${moving.text}”: tap “Put it here” on the answer it answers, ` +
                      "or here for the situation itself." }),
      el("button", { type: "button", dataset: { key: "move-root" },
        onclick: () => ui.moveTo(null), text: "Put it here (under the situation)" }),
      el("button", { type: "button", dataset: { key: "move-cancel" },
        onclick: () => ui.cancelMove(), text: "Cancel" })));
  } else if (may(state, me, "add_cause")) {
    section.append(el("button", { type: "button", class: "why", dataset: { key: "why-root" },
      onclick: () => ui.openComposer({ kind: "add_cause", parent: null }), text: w.why_prompt }));
  }
  const removal = state.last_removal;
  if (removal && may(state, me, "restore_cause")) {
    section.append(el("p", { class: "undo", role: "status" },
      el("span", { text: `You removed “${removal.causes[0].text}”. ` }),
      el("button", { type: "button", dataset: { key: "undo" },
        onclick: () => ui.send({ type: "restore_cause", cause: removal.causes[0].id }),
        text: "Undo" })));
  }
  const roots = below.get(null) || [];
  if (roots.length) {
    section.append(causeList(state, me, ui, below, roots, 1));
  } else {
    section.append(el("p", { class: "empty", text: `No ${w.causes} yet.` }));
  }
  return section;
}

function causeList(state, me, ui, below, ids, level) {
  // Nested lists (the structure a screen reader announces as "list, level 2"), built
  // level by level without recursion so that a long chain cannot overflow the stack.
  const top = el("ul", { class: "tree", "aria-label": level === 1 ? "Answers" : null });
  const stack = [[top, ids, level]];
  while (stack.length) {
    const [list, childIds, depth] = stack.pop();
    for (const id of childIds) {
      const cause = state.causes[id];
      const kids = below.get(id) || [];
      const item = causeItem(state, me, ui, cause, kids.length, depth);
      list.append(item);
      if (kids.length && !ui.folded.has(id)) {
        const sub = el("ul", { class: "tree" });
        item.append(sub);
        stack.push([sub, kids, depth + 1]);
      }
    }
  }
  return top;
}

function causeItem(state, me, ui, cause, childCount, depth) {
  const core = getCore();
  const w = words(state.mode);
  const folded = ui.folded.has(cause.id);
  const row = el("div", { class: "cause-row" });
  if (childCount) {
    row.append(el("button", {
      type: "button", class: "fold", "aria-expanded": String(!folded), dataset: { key: `fold-${cause.id}` },
      "aria-label": `${folded ? "Unfold" : "Fold"}: ${childCount} answer${childCount === 1 ? "" : "s"} below`,
      onclick: () => ui.toggleFold(cause.id), text: folded ? `▸ ${childCount}` : "▾",
    }));
  }
  row.append(el("p", { class: "cause-text" }, el("span", { class: "text", text: cause.text }),
    authorLine(state, cause, me)));
  const tools = el("div", { class: "tools" });
  if (ui.moving) {
    // Choosing where the answer being moved goes: nothing else to do meanwhile.
    if (ui.moving !== cause.id) {
      tools.append(el("button", { type: "button", dataset: { key: `move-here-${cause.id}` },
        onclick: () => ui.moveTo(cause.id), text: "Put it here" }));
    }
    const mark = ui.moving === cause.id ? " moving-this" : "";
    const item = el("li", { class: `cause depth-${Math.min(depth, 6)}${mark}`, dataset: { cause: cause.id } }, row);
    if (tools.childNodes.length) item.append(tools);
    return item;
  }
  if (may(state, me, "add_cause")) {
    tools.append(el("button", { type: "button", class: "why", dataset: { key: `why-${cause.id}` },
      "aria-label": `${w.why_prompt} (about: ${cause.text})`,
      onclick: () => ui.openComposer({ kind: "add_cause", parent: cause.id }), text: w.why_prompt }));
  }
  if (may(state, me, "edit_cause", cause)) {
    tools.append(el("button", { type: "button", dataset: { key: `edit-${cause.id}` },
      onclick: () => ui.openComposer({ kind: "edit_cause", cause: cause.id, text: cause.text }),
      text: "Edit" }));
  }
  if (may(state, me, "move_cause", cause)) {
    tools.append(el("button", { type: "button", dataset: { key: `move-${cause.id}` },
      onclick: () => ui.startMove(cause.id), text: "Move" }));
  }
  if (may(state, me, "remove_cause", cause)) {
    tools.append(el("button", { type: "button", dataset: { key: `remove-${cause.id}` },
      onclick: () => ui.removeCause(cause, childCount), text: "Remove" }));
  }
  if (may(state, me, "add_action")) {
    tools.append(el("button", { type: "button", dataset: { key: `act-${cause.id}` },
      onclick: () => ui.openComposer({ kind: "add_action", causes: [cause.id] }),
      text: "Propose an action" }));
  }
  if (may(state, me, "set_dots")) tools.append(dotsControl(state, me, ui, cause));
  if (may(state, me, "set_change")) tools.append(changeControl(state, me, ui, cause, core));
  const tally = state.revealed ? state.tally[cause.id] : null;
  if (state.revealed) {
    const t = tally || { dots: 0, we: 0, others: 0, no: 0 };
    tools.append(el("p", { class: "tally",
      text: `${t.dots} dot${t.dots === 1 ? "" : "s"} · ${w.change_labels.we}: ${t.we}, ` +
            `${w.change_labels.others}: ${t.others}, ${w.change_labels.no}: ${t.no}` }));
  }
  const item = el("li", { class: `cause depth-${Math.min(depth, 6)}`, dataset: { cause: cause.id } }, row);
  if (tools.childNodes.length) item.append(tools);
  return item;
}

/** My dots on `causeId`, counting a change of mine still on its way. */
function myDots(state, me, ui, causeId) {
  const waiting = ui.waiting("set_dots", causeId);
  if (waiting) return waiting.dots;
  return ((state.ballots[me.id] || { dots: {} }).dots[causeId]) || 0;
}

function myDotsInAll(state, me, ui) {
  const causes = new Set([...Object.keys((state.ballots[me.id] || { dots: {} }).dots)]);
  for (const id of Object.keys(state.causes)) if (ui.waiting("set_dots", id)) causes.add(id);
  return [...causes].reduce((sum, id) => sum + myDots(state, me, ui, id), 0);
}

function dotsControl(state, me, ui, cause) {
  const mine = myDots(state, me, ui, cause.id);
  const label = `“matters” dots on: ${cause.text}`;
  return el("div", { class: "dots", role: "group", "aria-label": label },
    el("button", { type: "button", class: "dot-minus", dataset: { key: `minus-${cause.id}` },
      "aria-label": "Take back a dot", disabled: mine === 0,
      // Counted at the tap, not when drawn: two quick taps make two changes.
      onclick: () => ui.send({ type: "set_dots", cause: cause.id,
        dots: Math.max(0, myDots(ui.state(), me, ui, cause.id) - 1) }), text: "−" }),
    el("output", { class: "dot-count", "aria-live": "polite",
      text: `${"●".repeat(Math.min(mine, 9))} ${mine} dot${mine === 1 ? "" : "s"}` }),
    el("button", { type: "button", class: "dot-plus", dataset: { key: `plus-${cause.id}` },
      "aria-label": "Add a dot",
      onclick: () => ui.send({ type: "set_dots", cause: cause.id,
        dots: myDots(ui.state(), me, ui, cause.id) + 1 }), text: "+" }));
}

function changeControl(state, me, ui, cause, core) {
  const w = words(state.mode);
  const waiting = ui.waiting("set_change", cause.id);
  const mine = (waiting ? waiting.answer : (state.ballots[me.id] || { change: {} }).change[cause.id]) || "";
  const id = `change-${cause.id}`;
  const select = el("select", { id, dataset: { key: id },
    onchange: (event) => ui.send({ type: "set_change", cause: cause.id, answer: event.target.value || null }) },
  el("option", { value: "", text: w.change_labels[""] }),
  ...core.change_answers.map((answer) => el("option", { value: answer, text: w.change_labels[answer] })));
  select.value = mine;
  return el("div", { class: "change" }, el("label", { for: id, text: w.change_question }), select);
}

export function rankingSection(state) {
  if (!state.revealed) return null;
  const core = getCore();
  const w = words(state.mode);
  const list = el("ol", { class: "ranking" });
  for (const item of ranked(state)) {
    const answer = w.change_labels[item.answer || ""];
    list.append(el("li", { value: item.place },
      el("span", { class: "text", text: item.cause.text }),
      el("span", { class: "meta", text: ` — ${item.tally.dots} dot${item.tally.dots === 1 ? "" : "s"}, ${answer}` })));
  }
  const boxes = twoByTwo(state);
  const grid = el("div", { class: "grid" });
  for (const box of core.words.boxes) {
    grid.append(el("section", { class: `box box-${box}`, "aria-labelledby": `box-${box}` },
      el("h3", { id: `box-${box}`, text: core.words.box_titles[box] }),
      el("p", { class: "meaning", text: w.box_meanings[box] }),
      el("ul", {}, ...boxes[box].map((item) => el("li", { text: item.cause.text })))));
  }
  const unweighed = notWeighed(state);
  const rest = unweighed.length ? [
    el("h3", { text: core.words.not_weighed_title }),
    el("p", { class: "meaning", text: w.not_weighed }),
    el("ul", {}, ...unweighed.map((item) => el("li", { text: item.cause.text })))] : [];
  return el("section", { class: "ranking-section", "aria-labelledby": "rank-h" },
    el("h2", { id: "rank-h", text: `The room's votes: ${w.causes} by “matters”` }), list,
    el("p", { class: "meaning", text: w.answer_rule }),
    el("h2", { text: w.grid_heading }), grid, ...rest);
}

export function actionsSection(state, me, ui) {
  const actions = Object.values(state.actions);
  if (!actions.length && !["act", "agree"].includes(state.phase)) return null;
  const core = getCore();
  const w = words(state.mode);
  const section = el("section", { class: "actions", "aria-labelledby": "actions-h" },
    el("h2", { id: "actions-h", text: "Actions" }),
    el("p", { class: "hint", text: w.action_question }));
  if (may(state, me, "add_action")) {
    section.append(el("button", { type: "button", dataset: { key: "act-any" },
      onclick: () => ui.openComposer({ kind: "add_action", causes: [] }), text: "Propose an action" }));
  }
  const list = el("ul", { class: "action-list" });
  for (const action of actions) {
    const causes = action.causes.map((id) => state.causes[id]).filter(Boolean).map((c) => c.text);
    const item = el("li", { class: "action", dataset: { action: action.id } },
      el("p", { class: "text", text: action.text }),
      el("p", { class: "meta", text: `Who can do it: ${core.words.doer_labels[action.by]}` +
                                     (action.who ? ` — ${action.who}` : "") }),
      causes.length ? el("p", { class: "meta", text: `For: ${causes.join(" · ")}` }) : null,
      authorLine(state, action, me));
    if (action.agreed) {
      item.append(el("p", { class: "agreed", text: "✓ Agreed" +
        (action.first_step ? ` — first step: ${action.first_step}` : "") +
        (action.owner ? `, by ${action.owner}` : "") + (action.due ? `, ${action.due}` : "") }));
    }
    const tools = el("div", { class: "tools" });
    if (may(state, me, "edit_action", action)) {
      tools.append(el("button", { type: "button", dataset: { key: `edit-${action.id}` },
        onclick: () => ui.openComposer({ kind: "edit_action", action: action.id, text: action.text,
          causes: action.causes, by: action.by, who: action.who }), text: "Edit" }));
    }
    if (may(state, me, "remove_action", action)) {
      tools.append(el("button", { type: "button", class: "danger", dataset: { key: `remove-${action.id}` },
        onclick: () => ui.removeAction(action), text: "Remove" }));
    }
    if (tools.childNodes.length) item.append(tools);
    list.append(item);
  }
  if (actions.length) section.append(list);
  return section;
}

export function peopleSection(state, me) {
  const here = Object.values(state.people).filter((p) => p.online && !p.removed);
  const list = el("ul", { class: "people" });
  let unnamed = 0;
  for (const person of here) {
    const name = person.id === me?.id ? `${person.name || "Anonymous"} (you)` : person.name;
    const facilitator = person.role === "facilitator";
    if (!name && !facilitator) {
      unnamed += 1;
      continue;
    }
    // The facilitator is named by the role (a host has no made-up name), never "without a name".
    const label = name ? `${name}${facilitator ? " — facilitator" : ""}` : "the facilitator";
    list.append(el("li", { text: `${label}${person.done ? " ✓ done" : ""}` }));
  }
  if (unnamed) list.append(el("li", { text: `${unnamed} without a name` }));
  return el("section", { class: "people-section", "aria-labelledby": "people-h" },
    el("h2", { id: "people-h", text: `Who is here (${here.length})` }), list);
}

/** The session as plain text: what "Save the summary" puts in a file on the phone. */
export function summaryText(state) {
  const core = getCore();
  const w = words(state.mode);
  const lines = [state.title || "whytree session", "", `Situation: ${state.situation}`, "",
    `${w.causes[0].toUpperCase()}${w.causes.slice(1)}:`];
  const below = childrenIndex(state);
  const stack = (below.get(null) || []).map((id) => [id, 1]).reverse();
  while (stack.length) {
    const [id, depth] = stack.pop();
    lines.push(`${"  ".repeat(depth)}- ${state.causes[id].text}`);
    stack.push(...(below.get(id) || []).map((child) => [child, depth + 1]).reverse());
  }
  if (state.revealed) {
    lines.push("", "Ranked by “matters”:");
    for (const item of ranked(state)) {
      lines.push(`  ${item.place}. ${item.cause.text} — ${item.tally.dots} dots, ` +
                 `${w.change_labels[item.answer || ""]}`);
    }
    lines.push("", w.answer_rule);
  }
  const actions = Object.values(state.actions);
  if (actions.length) {
    lines.push("", "Actions:");
    for (const action of actions) {
      lines.push(`  - ${action.text} (${core.words.doer_labels[action.by]}${action.who ? `: ${action.who}` : ""})`);
      if (action.agreed) {
        lines.push(`    Agreed. First step: ${action.first_step || "—"}; who: ${action.owner || "—"}; ` +
                   `by when: ${action.due || "—"}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

export function closedSection(state, ui) {
  if (state.phase !== "closed") return null;
  return el("section", { class: "closed", "aria-labelledby": "closed-h" },
    el("h2", { id: "closed-h", text: "Summary" }),
    el("p", { text: "Keep a copy of this session's results on this device." }),
    el("button", { type: "button", class: "primary", dataset: { key: "save" },
      onclick: () => ui.saveSummary(), text: "Save the summary" }));
}

export function maxLength(kind) {
  return { add_cause: limit("MAX_CAUSE_TEXT"), edit_cause: limit("MAX_CAUSE_TEXT"),
    add_action: limit("MAX_ACTION_TEXT"), edit_action: limit("MAX_ACTION_TEXT") }[kind];
}
