// The one way this client makes DOM: elements with attributes and children, where every string becomes a
// text node. Nothing from the server or the user ever goes through innerHTML.

/**
 * h("button", {class: "chip", onclick: fn, "aria-label": "..."}, "text", otherNode)
 * Attribute values are set with setAttribute (so they are never parsed as markup); `on*` keys add listeners;
 * null/undefined/false attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Append text or nodes (or arrays of them) to `parent`. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `parent` with `children` (text or nodes). */
export function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  return append(parent, ...children);
}

/** Save `blob` as a file named `filename` through a temporary link. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
