// Interface words that follow the language switch: `localized(key, ...args)` is a <span> whose text is
// re-set when the language changes; `localized.attr(el, name, key)` does the same for an attribute.
import { onLanguageChange, t } from "./i18n.js";

export function localized(key, ...args) {
  const span = document.createElement("span");
  span.dataset.i18n = key;
  if (args.length) span.dataset.i18nArgs = JSON.stringify(args);
  span.textContent = t(key, ...args);
  return span;
}

localized.attr = (element, name, key) => {
  const pairs = (element.dataset.i18nAttr || "").split(",").filter(Boolean);
  pairs.push(`${name}:${key}`);
  element.dataset.i18nAttr = pairs.join(",");
  element.setAttribute(name, t(key));
  return element;
};

/** Re-set every localized text and attribute under `root`. */
export function relocalize(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const args = element.dataset.i18nArgs ? JSON.parse(element.dataset.i18nArgs) : [];
    element.textContent = t(element.dataset.i18n, ...args);
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(",")) {
      const [name, key] = pair.split(":");
      element.setAttribute(name, t(key));
    }
  }
}

onLanguageChange(() => relocalize());
