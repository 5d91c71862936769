// Pieces shared by the views: data loading, page frame, errors, badges, sortable tables.
import { gql } from "./api.js";
import { useApp } from "./context.js";
import { html, useEffect, useMemo, useRef, useState } from "./lib.js";

/** Run a query when `deps` change (none while `query` is null); { data, error, loading, reload }. */
export function useQuery(query, variables, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: Boolean(query) });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!query) return undefined;
    let current = true;
    setState((before) => ({ ...before, error: null, loading: true }));
    gql(query, variables).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}

// The first view keeps the browser's focus at the start of the document (where the skip
// link is); once the reader moves to another view, its heading takes the focus.
let navigated = false;
addEventListener("hashchange", () => {
  navigated = true;
});

/** A view: its heading takes the focus when it opens, for keyboard and screen readers. */
export function Page({ title, children, lead = null }) {
  const heading = useRef(null);
  useEffect(() => {
    document.title = `${title} · Kopdes`;
    if (navigated) heading.current?.focus();
  }, [title]);
  return html`
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title" tabindex="-1" ref=${heading}>${title}</h1>
      ${lead && html`<p class="lead">${lead}</p>`}
      ${children}
    </section>
  `;
}

export function Loading({ label = null }) {
  const { t } = useApp();
  return html`<p class="loading" role="status">${label || t("loading")}</p>`;
}

/** An API error in words the reader can act on. */
export function ErrorMessage({ error }) {
  const { t } = useApp();
  if (!error) return null;
  const known = {
    NETWORK: t("error.network"),
    RATE_LIMITED: t("error.rateLimited", { seconds: error.retryAfter || "?" }),
    UNAUTHENTICATED: t("error.unauthenticated"),
    FORBIDDEN: t("error.forbidden"),
    QUERY_TOO_COSTLY: t("error.tooCostly"),
  };
  return html`<div class="error" role="alert">
    <strong>${known[error.code] || t("error.generic")}</strong>
    ${!known[error.code] || error.code === "FORBIDDEN" ? html`<span> ${error.message}</span>` : null}
  </div>`;
}

export function Badge({ tone = "neutral", children }) {
  return html`<span class=${`badge badge-${tone}`}>${children}</span>`;
}

const STATUS_TONE = { queued: "neutral", running: "info", succeeded: "good", failed: "bad" };

export function StatusBadge({ status }) {
  const { t } = useApp();
  return html`<${Badge} tone=${STATUS_TONE[status] || "neutral"}>${t(`status.${status}`)}</${Badge}>`;
}

/** Figures as a definition list: [[label, value], ...]. */
export function Facts({ items, className = "facts" }) {
  return html`<dl class=${className}>
    ${items
      .filter((item) => item)
      .map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

/** Sorting state for a table; `columns[i].sort(row)` gives the value to sort by. */
export function useSort(rows, columns, initial) {
  const [sort, setSort] = useState(initial);
  const sorted = useMemo(() => {
    const column = columns.find((c) => c.key === sort.key) || columns[0];
    const value = column.sort || (() => 0);
    const copy = [...(rows || [])];
    copy.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order = typeof x === "string" ? x.localeCompare(y) : (x ?? -1) - (y ?? -1);
      return order * sort.dir;
    });
    return copy;
  }, [rows, sort, columns]);
  const toggle = (key) =>
    setSort((now) => ({ key, dir: now.key === key ? -now.dir : key === columns[0].key ? 1 : -1 }));
  return { sorted, sort, toggle };
}

/**
 * A table whose column headers sort it (aria-sort tells which), in a scrolling region that
 * takes the keyboard focus, so a narrow screen can scroll it without a mouse.
 */
export function SortableTable({ caption, columns, sorting, rowKey }) {
  const { t } = useApp();
  const { sorted, sort, toggle } = sorting;
  const header = (column) => {
    const active = sort.key === column.key;
    const state = active ? (sort.dir === 1 ? "ascending" : "descending") : "none";
    const label = column.sort
      ? html`<button type="button" class="sort" onClick=${() => toggle(column.key)}>
          ${column.label}<span class="sort-mark" aria-hidden="true">${active ? (sort.dir === 1 ? "▲" : "▼") : "↕"}</span>
        </button>`
      : column.label;
    return html`<th scope="col" class=${column.numeric ? "num" : ""} aria-sort=${column.sort ? state : undefined}>${label}</th>`;
  };
  return html`
    <div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
      <table>
        <caption>${caption} <span class="hint">${t("table.sortHint")}</span></caption>
        <thead><tr>${columns.map(header)}</tr></thead>
        <tbody>
          ${sorted.map(
            (row) => html`<tr key=${rowKey(row)}>
              ${columns.map((column, index) =>
                index === 0
                  ? html`<th scope="row">${column.render(row)}</th>`
                  : html`<td class=${column.numeric ? "num" : ""}>${column.render(row)}</td>`,
              )}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}

/** A plain table of records: columns [{label, render, numeric}]. */
export function Table({ caption, columns, rows, rowKey, empty }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`
    <div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
      <table>
        <caption>${caption}</caption>
        <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.numeric ? "num" : ""}>${c.label}</th>`)}</tr></thead>
        <tbody>
          ${rows.map(
            (row, index) => html`<tr key=${rowKey ? rowKey(row) : index}>
              ${columns.map((c) => html`<td class=${c.numeric ? "num" : ""}>${c.render(row)}</td>`)}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}
