// Ranking the causes and the 2×2: the browser's port of shared/ranking.py.
//
// The rules are the core's (read its module docstring); a test holds this port to them
// on a thousand random sessions. Only revealed votes count: before the reveal the tally
// is empty and every cause has 0 dots.

export const BOXES = ["act_first", "keep_in_mind", "maybe_later", "let_go"];

const NO_TALLY = { dots: 0, we: 0, others: 0, no: 0 };

/** Every cause with its depth, in the order the tree is read (depth first). */
export function treeOrder(state) {
  const below = new Map();
  for (const cause of Object.values(state.causes)) {
    if (!below.has(cause.parent)) below.set(cause.parent, []);
    below.get(cause.parent).push(cause);
  }
  const found = [];
  const seen = new Set();
  const visit = (root, depth) => {
    // Depth first, siblings in order, without recursion (a chain may be long).
    const stack = [];
    const push = (parent, level) => {
      const children = below.get(parent) || [];
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], level]);
    };
    push(root, depth);
    while (stack.length) {
      const [cause, level] = stack.pop();
      if (seen.has(cause.id)) continue;
      seen.add(cause.id);
      found.push([cause, level]);
      push(cause.id, level + 1);
    }
  };
  visit(null, 1);
  for (const cause of Object.values(state.causes)) {
    if (!seen.has(cause.id)) {
      seen.add(cause.id);
      found.push([cause, 1]);
      visit(cause.id, 2);
    }
  }
  return found;
}

export function roomAnswer(tally) {
  const can = tally.we + tally.others;
  if (can === 0 && tally.no === 0) return null;
  if (tally.no >= can) return "no";
  return tally.we > tally.others ? "we" : "others";
}

export function ranked(state) {
  const items = treeOrder(state).map(([cause, depth]) => [cause, depth, state.tally[cause.id] || NO_TALLY]);
  items.sort((a, b) => b[2].dots - a[2].dots); // stable: ties keep tree order
  const result = [];
  items.forEach(([cause, depth, tally], index) => {
    const last = result[result.length - 1];
    const place = last && last.tally.dots === tally.dots ? last.place : index + 1;
    result.push({ cause, place, depth, tally, answer: roomAnswer(tally) });
  });
  return result;
}

export function mattersThreshold(causes) {
  const voted = causes.map((item) => item.tally.dots).filter((dots) => dots > 0);
  if (!voted.length) return 1;
  return Math.max(1, Math.ceil(voted.reduce((a, b) => a + b, 0) / voted.length));
}

export function quadrant(item, threshold) {
  const canChange = item.answer === "we" || item.answer === "others";
  if (item.tally.dots >= threshold) return canChange ? "act_first" : "keep_in_mind";
  return canChange ? "maybe_later" : "let_go";
}

/** Whether the room said anything about a cause: a dot or a "can it change?" answer. */
export function isWeighed(item) {
  const t = item.tally;
  return t.dots > 0 || t.we + t.others + t.no > 0;
}

/** The 2×2: only weighed causes; the others are "not weighed yet" (notWeighed). */
export function twoByTwo(state) {
  const causes = ranked(state);
  const threshold = mattersThreshold(causes);
  const boxes = Object.fromEntries(BOXES.map((box) => [box, []]));
  for (const item of causes) if (isWeighed(item)) boxes[quadrant(item, threshold)].push(item);
  return boxes;
}

export function notWeighed(state) {
  return ranked(state).filter((item) => !isWeighed(item));
}
