// The console's words in the reader's language. The server picks the language (the signed-in user's
// profile setting, else the browser's Accept-Language, else English) and sends the catalog of every text
// this console shows; English is the text itself. `t("Signed in as {name}", {name})` fills in values after
// translating, so a translation may move them; `tn` picks the plural form (English and German: one or other).

const words = {language: "en", messages: {}};
const ATTRIBUTES = ["aria-label", "alt", "title", "placeholder"];  // the page's words outside its text
let pageTexts = null;  // the page's own text nodes with their English, found before any script adds text

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function t(text, values = {}) {
  const translated = words.messages[text];
  return fill(typeof translated === "string" && translated ? translated : text, values);
}

export function tn(one, other, count, values = {}) {
  const forms = words.messages[one];
  const index = count === 1 ? 0 : 1;
  const chosen = Array.isArray(forms) && forms[index] ? forms[index] : [one, other][index];
  return fill(chosen, {count, ...values});
}

export function language() {
  return words.language;
}

// The page's own text nodes, translated in place (white space around them kept). Text the scripts write is
// translated as they write it, with `t`, and never here: a user named "Users" stays "Users".
function translatePage() {
  if (pageTexts === null) {
    pageTexts = [];
    const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const english = node.nodeValue;
      const text = english.split(/\s+/).filter((part) => part).join(" ");
      if (text) pageTexts.push({node, text, start: english.match(/^\s*/)[0], end: english.match(/\s*$/)[0]});
    }
    for (const name of ATTRIBUTES) {
      for (const element of document.querySelectorAll(`[${name}]`)) {
        pageTexts.push({element, name, text: element.getAttribute(name).split(/\s+/).filter((part) => part).join(" ")});
      }
    }
  }
  for (const {node, element, name, text, start, end} of pageTexts) {
    if (element) element.setAttribute(name, t(text));
    else node.nodeValue = start + t(text) + end;
  }
  document.documentElement.lang = words.language;
}

// Fetch the catalog for whoever is signed in now (or nobody) and translate the page; the console works on in
// English if it cannot be had.
export async function loadWords(call) {
  try {
    const catalog = await call("GET", "/console/messages");
    words.language = catalog.language;
    words.messages = catalog.messages;
  } catch (error) {
    words.language = "en";
    words.messages = {};
  }
  translatePage();
}
