// The core's rules and words, as the server exports them (GET /core.json).
//
// The page restates no rule and writes no sentence about the session itself: which
// buttons it offers to whom in which step, every bound and every word about the steps,
// the votes and the 2×2 come from here. The server still decides; a refused command
// comes back with a sentence, which the page shows.

let core = null;

export async function loadCore() {
  const response = await fetch("/core.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`core.json: ${response.status}`);
  core = await response.json();
  return core;
}

export function getCore() {
  return core;
}

/** The words that follow the session's mode (problem or success). */
export function words(mode) {
  return core.words.modes[mode] || core.words.modes.problem;
}

/** The core's words with each `{doing}` (a name in `how_to`) said as `how` says it: the
 *  core holds what to do, the page how to do it with its buttons. */
export function fillHow(text, how) {
  return text.replace(/\{([a-z_]+)\}/g, (_, name) => how[name] ?? "").trim();
}

export function limit(name) {
  return core.limits[name];
}

/** Whether `me` may send a command of `type` now (about `item`, the cause or action an
 *  author-only command is about): the answer of the core's `rules.may`, read from the
 *  tables it exports (role, step, votes showing, ownership, who removed what). */
export function may(state, me, type, item = null) {
  if (!state || !me || !core) return false;
  if (!(core.role_may[type] || []).includes(me.role)) return false;
  if (state.phase === "closed" && type !== "reopen") return false;
  const open = core.open_in[type];
  if (!open || !(open[me.role] || []).includes(state.phase)) return false;
  if ((core.shut_while_revealed || []).includes(type) && state.revealed) return false;
  if (core.author_only[type] && item && me.role !== "facilitator") {
    if (item.author !== me.id) return false;
    if ((core.own_branch_only || []).includes(type) && !branchIsTheirs(state, me, item.id)) return false;
  }
  if ((core.remover_only || []).includes(type)) {
    const removal = state.last_removal;
    return Boolean(removal && removal.causes && removal.causes.length && removal.removed_by === me.id);
  }
  return true;
}

/** Whether every answer below `causeId` was written by `me`. */
function branchIsTheirs(state, me, causeId) {
  return Object.values(state.causes).every((cause) => cause.author === me.id ||
    !isBelow(state, cause.id, causeId));
}

function isBelow(state, causeId, topId) {
  let current = causeId;
  for (let steps = 0; current !== null && current !== undefined && steps <= 10000; steps += 1) {
    if (current === topId) return true;
    const cause = state.causes[current];
    current = cause ? cause.parent : null;
  }
  return false;
}
