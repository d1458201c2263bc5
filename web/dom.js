// Building elements. People's text only ever goes in as text (textContent or a text
// node): never as HTML, so nothing anyone types can become markup or script.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child); // a string becomes a text node
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

/** Replace `node`'s content, keeping the keyboard focus on the same control. */
export function replaceContent(node, ...children) {
  const active = document.activeElement;
  const key = active && node.contains(active) ? active.dataset.key : undefined;
  clear(node);
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  if (key) {
    const again = node.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}
