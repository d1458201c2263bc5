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

export function limit(name) {
  return core.limits[name];
}

/** Whether `me` may send a command of `type` now (about `item`, for the ones that only
 *  an author may send): the core's role, step and ownership tables. */
export function may(state, me, type, item = null) {
  if (!state || !me || !core) return false;
  if (!(core.role_may[type] || []).includes(me.role)) return false;
  if (state.phase === "closed" && type !== "reopen") return false;
  const open = core.open_in[type];
  if (!open || !(open[me.role] || []).includes(state.phase)) return false;
  const field = core.author_only[type];
  if (field && me.role !== "facilitator" && (!item || item.author !== me.id)) return false;
  if ((core.remover_only || []).includes(type)) {
    return Boolean(state.last_removal && state.last_removal.removed_by === me.id);
  }
  return true;
}
