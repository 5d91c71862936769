// Numbers, percentages and dates in the reader's language (id-ID uses "." for thousands).
const LOCALES = { id: "id-ID", en: "en-GB" };

function locale(lang) {
  return LOCALES[lang] || LOCALES.id;
}

export function number(value, lang) {
  return value == null ? "–" : new Intl.NumberFormat(locale(lang)).format(value);
}

export function percent(value, lang) {
  if (value == null) return "–";
  const digits = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  return `${new Intl.NumberFormat(locale(lang), digits).format(value)} %`;
}

export function dateTime(value, lang) {
  if (!value) return "–";
  const options = { dateStyle: "medium", timeStyle: "short" };
  return new Intl.DateTimeFormat(locale(lang), options).format(new Date(value));
}

export function seconds(value, lang) {
  if (value == null) return "–";
  const digits = { maximumFractionDigits: value < 10 ? 2 : 0 };
  return `${new Intl.NumberFormat(locale(lang), digits).format(value)} s`;
}

/** Seconds between two timestamps, or null when one is missing. */
export function between(start, end) {
  if (!start || !end) return null;
  return (new Date(end) - new Date(start)) / 1000;
}
