// apply(state, event): the browser's port of shared/apply.py, line for line.
//
// The page keeps its copy of the session by applying the events the server sends, with
// the same meaning as the Python `apply` the server and the terminal clients run; a test
// replays a thousand random sessions through this file in a real browser and compares
// the result with what the server projects for that person. It decides nothing, reads
// no clock and changes `state` (plain JSON, as in a `welcome`) in place.

export const MAX_CAUSES_PER_ACTION = 20; // shared/protocol.py; tests/test_web_core.py checks it

export function apply(state, event) {
  applyBody(state, event.command, event.by);
  state.seq = event.seq;
  return state;
}

function applyBody(state, body, by) {
  switch (body.type) {
    case "add_cause":
      state.causes[body.id] = { id: body.id, parent: body.parent, text: body.text, author: by };
      break;

    case "edit_cause":
      state.causes[body.cause].text = body.text;
      break;

    case "remove_cause": {
      state.last_removal = removal(state, body.cause, by);
      const gone = new Set(subtree(state, body.cause));
      for (const id of gone) delete state.causes[id];
      // Hidden votes: no recount, so emptied ballots stay.
      eachBallot(state, (ballot) => removeVotes(ballot, gone), isNone(body.voters));
      for (const action of Object.values(state.actions)) {
        action.causes = action.causes.filter((id) => !gone.has(id));
      }
      derivedVotes(state, body.voters, body.tally, gone);
      break;
    }

    case "merge_causes": {
      const merged = body.cause;
      const into = body.into;
      for (const child of Object.values(state.causes)) {
        if (child.parent === merged) child.parent = into;
      }
      delete state.causes[merged];
      eachBallot(state, (ballot) => mergeVotes(ballot, merged, into), isNone(body.voters));
      for (const action of Object.values(state.actions)) {
        if (action.causes.includes(merged)) {
          action.causes = [...new Set(action.causes.map((id) => (id === merged ? into : id)))];
        }
      }
      derivedVotes(state, body.voters, body.tally, new Set([merged]));
      break;
    }

    case "move_cause": {
      state.causes[body.cause].parent = body.parent;
      // Last among its new siblings, with everything below it after it.
      const moved = new Set(subtree(state, body.cause));
      for (const id of Object.keys(state.causes).filter((id) => moved.has(id))) {
        const cause = state.causes[id];
        delete state.causes[id];
        state.causes[id] = cause;
      }
      break;
    }

    case "restore_cause":
      if (state.last_removal) restore(state, state.last_removal);
      state.last_removal = null;
      if (!isNone(body.voters)) state.voters = body.voters;
      if (!isNone(body.tally)) state.tally = { ...body.tally };
      break;

    case "set_dots":
      if (by !== null && by !== undefined) {
        const ballot = ballotOf(state, by);
        if (body.dots) ballot.dots[body.cause] = body.dots;
        else delete ballot.dots[body.cause];
        dropIfEmpty(state, by);
      }
      if (body.voters !== null && body.voters !== undefined) state.voters = body.voters;
      break;

    case "set_change":
      if (by !== null && by !== undefined) {
        const ballot = ballotOf(state, by);
        if (body.answer === null) delete ballot.change[body.cause];
        else ballot.change[body.cause] = body.answer;
        dropIfEmpty(state, by);
      }
      if (body.voters !== null && body.voters !== undefined) state.voters = body.voters;
      break;

    case "votes_cast":
      state.voters = body.voters;
      break;

    case "add_action":
      state.actions[body.id] = {
        id: body.id, text: body.text, causes: [...body.causes], by: body.by, who: body.who,
        author: by, agreed: false, first_step: "", owner: "", due: "",
      };
      break;

    case "edit_action": {
      const action = state.actions[body.action];
      action.text = body.text;
      action.causes = [...body.causes];
      action.by = body.by;
      action.who = body.who;
      break;
    }

    case "remove_action":
      delete state.actions[body.action];
      break;

    case "set_agreement": {
      const action = state.actions[body.action];
      action.agreed = body.agreed;
      action.first_step = body.first_step;
      action.owner = body.owner;
      action.due = body.due;
      break;
    }

    case "set_situation":
      state.situation = body.text;
      state.mode = body.mode;
      break;

    case "set_phase":
      if (body.phase !== state.phase) {
        state.phase = body.phase;
        state.timer_ends = null;
        for (const person of Object.values(state.people)) person.done = false;
      }
      break;

    case "set_settings":
      if (body.anonymous !== state.settings.anonymous) state.last_removal = null;
      state.settings.dots_per_person = body.dots_per_person;
      state.settings.dots_per_cause = body.dots_per_cause;
      state.settings.anonymous = body.anonymous;
      for (const [id, name] of Object.entries(body.names || {})) {
        if (id in state.people) state.people[id].name = name;
      }
      break;

    case "reveal_votes":
      state.revealed = body.revealed;
      state.tally = body.revealed ? { ...(body.tally || {}) } : {};
      break;

    case "set_timer":
      state.timer_ends = body.ends_at;
      break;

    case "set_done":
      if (body.person in state.people) state.people[body.person].done = body.done;
      break;

    case "lock_room":
      state.locked = body.locked;
      break;

    case "remove_person": {
      const person = state.people[body.person];
      person.removed = true;
      person.online = false;
      break;
    }

    case "close":
      state.phase = "closed";
      state.closed_at = body.closed_at;
      state.timer_ends = null;
      state.last_removal = null; // removed words stay out of the saved results
      break;

    case "reopen":
      state.phase = "agree";
      state.closed_at = null;
      break;

    case "person_joined":
      // A copy: the event's person must not change when this person's state does.
      state.people[body.person.id] = { ...body.person };
      break;

    case "presence":
      if (body.person in state.people) state.people[body.person].online = body.online;
      break;

    default:
      // A newer server's event this page does not know: nothing of it is shown.
      break;
  }
}

/** `causeId` and every cause below it. */
export function subtree(state, causeId) {
  const below = childrenIndex(state);
  const found = [];
  const stack = [causeId];
  while (stack.length) {
    const current = stack.pop();
    found.push(current);
    stack.push(...(below.get(current) || []));
  }
  return found;
}

/** Map parent id (null: the situation) -> ids of its answers, in order. */
export function childrenIndex(state) {
  const below = new Map();
  for (const cause of Object.values(state.causes)) {
    if (!below.has(cause.parent)) below.set(cause.parent, []);
    below.get(cause.parent).push(cause.id);
  }
  return below;
}

function ballotOf(state, personId) {
  if (!(personId in state.ballots)) state.ballots[personId] = { dots: {}, change: {} };
  return state.ballots[personId];
}

function removeVotes(ballot, causes) {
  for (const id of causes) {
    delete ballot.dots[id];
    delete ballot.change[id];
  }
}

function mergeVotes(ballot, causeId, into) {
  const dots = ballot.dots[causeId] || 0;
  delete ballot.dots[causeId];
  if (dots) ballot.dots[into] = (ballot.dots[into] || 0) + dots;
  const answer = ballot.change[causeId];
  delete ballot.change[causeId];
  if (answer !== undefined && !(into in ballot.change)) ballot.change[into] = answer;
}

function eachBallot(state, change, keepEmpty) {
  for (const personId of Object.keys(state.ballots)) {
    change(state.ballots[personId]);
    if (!keepEmpty) dropIfEmpty(state, personId);
  }
}

function isNone(value) {
  return value === null || value === undefined;
}

/** What `restore_cause` needs to bring back `causeId` and everything below it. */
function removal(state, causeId, by) {
  const top = state.causes[causeId];
  const gone = new Set(subtree(state, causeId));
  const siblings = Object.values(state.causes).filter((c) => c.parent === top.parent).map((c) => c.id);
  const place = siblings.indexOf(causeId);
  const ballots = {};
  for (const [personId, ballot] of Object.entries(state.ballots)) {
    const saved = {
      dots: Object.fromEntries(Object.entries(ballot.dots).filter(([id]) => gone.has(id))),
      change: Object.fromEntries(Object.entries(ballot.change).filter(([id]) => gone.has(id))),
    };
    if (Object.keys(saved.dots).length || Object.keys(saved.change).length) ballots[personId] = saved;
  }
  const links = {};
  for (const action of Object.values(state.actions)) {
    if (action.causes.some((id) => gone.has(id))) links[action.id] = [...action.causes];
  }
  return {
    removed_by: isNone(by) ? null : by,
    causes: [top, ...Object.values(state.causes).filter((c) => gone.has(c.id) && c.id !== causeId)],
    before: place + 1 < siblings.length ? siblings[place + 1] : null,
    links,
    ballots,
  };
}

/** Put a removed branch back where it was, with its action links and votes. */
function restore(state, removed) {
  const top = removed.causes[0];
  const branch = new Map(removed.causes.map((cause) => [cause.id, cause]));
  const before = removed.before === null ? undefined : state.causes[removed.before];
  if (before === undefined || before.parent !== top.parent) {
    for (const [id, cause] of branch) state.causes[id] = cause; // it comes last
  } else {
    const causes = Object.entries(state.causes);
    for (const [id] of causes) delete state.causes[id];
    for (const [id, cause] of causes) {
      if (id === before.id) for (const [bid, bcause] of branch) state.causes[bid] = bcause;
      state.causes[id] = cause;
    }
  }
  for (const [actionId, linked] of Object.entries(removed.links)) {
    const action = state.actions[actionId];
    if (action === undefined) continue;
    const now = action.causes;
    const merged = [
      ...linked.filter((id) => branch.has(id) || now.includes(id)),
      ...now.filter((id) => !linked.includes(id)),
    ];
    action.causes = merged.slice(0, MAX_CAUSES_PER_ACTION);
  }
  for (const [personId, saved] of Object.entries(removed.ballots)) {
    restoreBallot(state.ballots, personId, saved, state.settings);
  }
}

function restoreBallot(ballots, personId, saved, settings) {
  const had = personId in ballots;
  if (!had) ballots[personId] = { dots: {}, change: {} };
  const ballot = ballots[personId];
  for (const [causeId, wanted] of Object.entries(saved.dots)) {
    const used = Object.values(ballot.dots).reduce((sum, dots) => sum + dots, 0);
    const dots = Math.min(wanted, settings.dots_per_cause, settings.dots_per_person - used);
    if (dots > 0) ballot.dots[causeId] = dots;
  }
  Object.assign(ballot.change, saved.change);
  if (!had && !Object.keys(ballot.dots).length && !Object.keys(ballot.change).length) {
    delete ballots[personId];
  }
}

function dropIfEmpty(state, personId) {
  const ballot = state.ballots[personId];
  if (!Object.keys(ballot.dots).length && !Object.keys(ballot.change).length) {
    delete state.ballots[personId];
  }
}

function derivedVotes(state, voters, tally, gone) {
  if (voters !== null && voters !== undefined) state.voters = voters;
  if (tally !== null && tally !== undefined) state.tally = { ...tally };
  else for (const id of gone) delete state.tally[id];
}
