// Small DOM helpers. Text from the server always goes in through textContent, never as HTML.

import {language, t} from "./i18n.js";

export const $ = (id) => document.getElementById(id);

export function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export function button(text, onClick, attributes = {}) {
  const node = element("button", text, {type: "button", ...attributes});
  node.addEventListener("click", onClick);
  return node;
}

export function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}

export function list(values) {
  return values
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value);
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString(language()) : t("never");
}
