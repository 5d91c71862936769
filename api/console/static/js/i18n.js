// Labels in Indonesian (the default) and English; {name} placeholders are filled from params.
// Both languages must have the same keys: a missing one is reported on the console (and the
// browser tests fail on console errors).
import { en } from "./labels/en.js";
import { id } from "./labels/id.js";

export const LANGUAGES = [
  ["id", "Bahasa Indonesia"],
  ["en", "English"],
];
const STORE = "kopdes.console.lang";

const DICTIONARIES = { id, en };

for (const [lang, other] of [["id", en], ["en", id]]) {
  const missing = Object.keys(other).filter((key) => !(key in DICTIONARIES[lang]));
  if (missing.length) console.error(`labels missing in ${lang}: ${missing.join(", ")}`);
}

export function initialLanguage() {
  try {
    const kept = localStorage.getItem(STORE);
    if (kept && kept in DICTIONARIES) return kept;
  } catch {
    // storage switched off
  }
  return "id";
}

export function keepLanguage(lang) {
  try {
    localStorage.setItem(STORE, lang);
  } catch {
    // storage switched off: the choice lasts until the page is reloaded
  }
}

/** t(key, params, fallback): the label in `lang`, placeholders filled. */
export function translator(lang) {
  const labels = DICTIONARIES[lang] || id;
  return (key, params = {}, fallback = undefined) => {
    let text = labels[key];
    if (text === undefined) {
      if (fallback !== undefined) return fallback;
      console.error(`no label ${key} in ${lang}`);
      text = key;
    }
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  };
}
