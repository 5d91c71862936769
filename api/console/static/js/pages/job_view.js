// One job: live progress while it runs, then its outcome: counts, the diff of an edition per
// level with samples of each kind of change, warnings and row errors (with a CSV download).
import { allNodes, gql } from "../api.js";
import { useApp } from "../context.js";
import { dateTime, number, seconds } from "../format.js";
import { PROGRESS, watchJob } from "../live.js";
import { html, useEffect, useState } from "../lib.js";
import { link } from "../router.js";
import { Badge, ErrorMessage, Facts, Loading, StatusBadge, Table } from "../ui.js";

const ISSUE = "file line field value code message";
export const JOB_DETAIL = `query($id: ID!) { importJob(id: $id) {
  ${PROGRESS} kind dryRun sourceName requestedBy createdAt startedAt finishedAt
  errorCount warningCount counts timings
  changesByLevel { level added renamed retired reinstated unchanged }
  ${["renamed", "retired", "added", "reinstated"]
    .map((kind) => `${kind}: changeSample(change: ${kind}) { change code level oldName newName }`)
    .join("\n")}
  warnings(first: 100) { totalCount edges { node { ${ISSUE} } } }
  errors(first: 100) { totalCount edges { node { ${ISSUE} } } }
} }`;
const issuePage = (kind) => `query($id: ID!, $after: String) { importJob(id: $id) {
  ${kind}(first: 500, after: $after) { edges { node { ${ISSUE} } } pageInfo { hasNextPage endCursor } }
} }`;
export const RETIRED_WITH_COOPERATIVE = "retired_with_cooperative";

/** The job with this id, kept current: watched live until it finishes, then read in full. */
export function useJob(id, onFinished = () => {}) {
  const [job, setJob] = useState(null);
  const [mode, setMode] = useState(null);
  const [error, setError] = useState(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    if (!id) return undefined;
    let current = true;
    let stop = () => {};
    setJob(null);
    setMode(null);
    setMissing(false);
    const full = () =>
      gql(JOB_DETAIL, { id }).then((data) => {
        if (!current) return;
        setJob(data.importJob);
        setMissing(!data.importJob);
        if (data.importJob?.finished) onFinished(data.importJob);
        return data.importJob;
      });
    full()
      .then((found) => {
        if (!current || !found || found.finished) return;
        stop = watchJob(id, {
          onUpdate: (update) => current && setJob((before) => ({ ...before, ...update })),
          onMode: (channel) => current && setMode(channel),
          onError: (problem) => current && setError(problem),
          onDone: () => current && full().catch((problem) => current && setError(problem)),
        });
      })
      .catch((problem) => current && setError(problem));
    return () => {
      current = false;
      stop();
    };
  }, [id]);
  return { job, mode, error, missing };
}

/** Where a job stands, announced politely to screen readers as it changes. */
export function JobProgress({ job, mode }) {
  const { t, lang } = useApp();
  const { phase, rowsDone, rowsTotal, percent: done } = job.progress;
  return html`<div class="progress" role="status" aria-live="polite">
    <p>
      <${StatusBadge} status=${job.status} />
      ${" "}${job.dryRun ? html`<${Badge} tone="info">${t("job.dryRun")}</${Badge}>` : null}
      ${" "}${t("job.phase")}: <strong>${t(`phase.${phase}`)}</strong>
      ${mode && html` <span class="channel">(${t(`job.channel.${mode}`)})</span>`}
    </p>
    ${!job.finished &&
    html`<label class="bar-row">
      <span>${t("job.rows", { done: number(rowsDone, lang), total: rowsTotal ? number(rowsTotal, lang) : "?" })}</span>
      <progress max="100" value=${done ?? undefined}>${done == null ? "" : `${done} %`}</progress>
    </label>`}
    ${job.message && html`<p class="message">${job.message}</p>`}
  </div>`;
}

/** Everything a finished job tells. */
export function JobOutcome({ job }) {
  const { t, lang } = useApp();
  const warnings = job.warnings.edges.map((e) => e.node);
  const atRisk = warnings.filter((w) => w.code === RETIRED_WITH_COOPERATIVE);
  const otherWarnings = warnings.filter((w) => w.code !== RETIRED_WITH_COOPERATIVE);
  return html`
    <${Facts}
      items=${[
        [t("job.kind"), t(`kind.job.${job.kind}`)],
        [t("job.file"), job.sourceName || "–"],
        [t("job.requestedBy"), job.requestedBy || "–"],
        [t("job.attempts"), number(job.attempts, lang)],
        [t("job.created"), dateTime(job.createdAt, lang)],
        [t("job.finishedAt"), dateTime(job.finishedAt, lang)],
        [t("job.took"), seconds(job.timings?.total, lang)],
        [t("job.errors"), number(job.errorCount, lang)],
        [t("job.warnings"), number(job.warningCount, lang)],
      ]} />
    ${job.kind === "villages" && job.changesByLevel.length > 0 && html`<${EditionDiff} job=${job} atRisk=${atRisk} />`}
    ${job.kind !== "villages" && html`<${Counts} counts=${job.counts} />`}
    <${Issues} job=${job} kind="errors" issues=${job.errors.edges.map((e) => e.node)} total=${job.errorCount} />
    <${Issues} job=${job} kind="warnings" issues=${otherWarnings} total=${job.warningCount - atRisk.length} />
  `;
}

function Counts({ counts }) {
  const { t, lang } = useApp();
  const entries = Object.entries(counts || {}).filter(([, value]) => typeof value === "number");
  if (!entries.length) return null;
  return html`<h3>${t("job.counts")}</h3>
    <${Facts} items=${entries.map(([key, value]) => [t(`count.${key}`, {}, key), number(value, lang)])} />`;
}

const KINDS = ["renamed", "retired", "added", "reinstated"];

/** What an edition changes (or would change): per level, then a sample of each kind. */
function EditionDiff({ job, atRisk }) {
  const { t, lang } = useApp();
  const totals = Object.fromEntries(
    KINDS.map((kind) => [kind, job.changesByLevel.reduce((sum, level) => sum + level[kind], 0)]),
  );
  return html`<section class="diff" aria-labelledby=${`diff-${job.databaseId}`}>
    <h3 id=${`diff-${job.databaseId}`}>${job.dryRun ? t("diff.wouldChange") : t("diff.changed")}</h3>
    <${Table}
      caption=${t("diff.perLevel")}
      rowKey=${(row) => row.level}
      rows=${job.changesByLevel}
      columns=${[
        { label: t("diff.level"), render: (row) => t(`level.${row.level}`) },
        ...[...KINDS, "unchanged"].map((kind) => ({
          label: t(`change.${kind}`),
          numeric: true,
          render: (row) => number(row[kind], lang),
        })),
      ]} />
    <h4>${t("diff.atRisk")}</h4>
    ${atRisk.length
      ? html`<${Table}
          caption=${t("diff.atRiskCaption")}
          rows=${atRisk}
          columns=${[
            { label: t("diff.code"), render: (w) => html`<a href=${link("coverage", w.value)}>${w.value}</a>` },
            { label: t("diff.detail"), render: (w) => w.message },
          ]} />`
      : html`<p class="empty">${t("diff.noneAtRisk")}</p>`}
    ${KINDS.map((kind) => {
      const sample = job[kind];
      if (!totals[kind]) return null;
      return html`<details class="sample" open=${kind === "renamed"} key=${kind}>
        <summary>
          ${t(`change.${kind}`)}: ${number(totals[kind], lang)}
          ${sample.length && sample.length < totals[kind] ? ` (${t("diff.sampled", { count: number(sample.length, lang) })})` : ""}
        </summary>
        ${sample.length
          ? html`<${Table}
              caption=${t(`diff.sample.${kind}`)}
              rows=${sample}
              rowKey=${(row) => row.code}
              columns=${[
                { label: t("diff.code"), render: (row) => html`<code>${row.code}</code>` },
                { label: t("diff.level"), render: (row) => (row.level ? t(`level.${row.level}`) : "–") },
                kind !== "added" && { label: t("diff.oldName"), render: (row) => row.oldName },
                kind !== "retired" && { label: t("diff.newName"), render: (row) => row.newName },
              ].filter(Boolean)} />`
          : html`<p class="empty">${t("diff.noSample")}</p>`}
      </details>`;
    })}
  </section>`;
}

/** Row errors or warnings as a table, with all of them as CSV. */
function Issues({ job, kind, issues, total }) {
  const { t, lang } = useApp();
  const [error, setError] = useState(null);
  if (!total) return null;
  const download = async () => {
    setError(null);
    try {
      const nodes = await allNodes(async (after) => {
        const data = await gql(issuePage(kind), { id: job.id, after });
        return data.importJob[kind];
      });
      saveCsv(`kopdes-job-${job.databaseId}-${kind}.csv`, nodes);
    } catch (problem) {
      setError(problem);
    }
  };
  return html`<section class="issues">
    <h3>${t(`job.${kind}`)}: ${number(total, lang)}</h3>
    ${issues.length < total && html`<p class="hint">${t("issues.kept", { kept: number(issues.length, lang), total: number(total, lang) })}</p>`}
    <button type="button" onClick=${download}>${t(`issues.download.${kind}`)}</button>
    <${ErrorMessage} error=${error} />
    <${Table}
      caption=${t(`issues.caption.${kind}`)}
      rows=${issues}
      empty=${t("issues.none")}
      columns=${[
        { label: t("issues.file"), render: (i) => i.file || "–" },
        { label: t("issues.line"), numeric: true, render: (i) => i.line ?? "–" },
        { label: t("issues.field"), render: (i) => i.field || "–" },
        { label: t("issues.value"), render: (i) => i.value ?? "–" },
        { label: t("issues.code"), render: (i) => (i.code ? html`<code>${i.code}</code>` : "–") },
        { label: t("issues.message"), render: (i) => i.message },
      ]} />
  </section>`;
}

const CSV_COLUMNS = ["file", "line", "field", "value", "code", "message"];

/** A spreadsheet-safe CSV: quoted cells, and formulas (=, +, -, @) defused with a quote. */
export function toCsv(rows, columns = CSV_COLUMNS) {
  const cell = (value) => {
    let text = value == null ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return `"${text.replace(/"/g, '""')}"`;
  };
  return [columns.join(","), ...rows.map((row) => columns.map((c) => cell(row[c])).join(","))].join("\r\n") + "\r\n";
}

function saveCsv(name, rows) {
  const blob = new Blob(["\ufeff", toCsv(rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A job's progress and, once finished, its outcome; the unit the import page shows. */
export function JobPanel({ id, title, onFinished }) {
  const { t } = useApp();
  const { job, mode, error } = useJob(id, onFinished);
  return html`<section class="job-panel" aria-label=${title}>
    <h3>${title} <a href=${link("jobs", job?.databaseId ?? "")} class="small">${job ? `#${job.databaseId}` : ""}</a></h3>
    <${ErrorMessage} error=${error} />
    ${!job && !error && html`<${Loading} />`}
    ${job && html`<${JobProgress} job=${job} mode=${mode} />`}
    ${job?.finished && html`<${JobOutcome} job=${job} />`}
    ${job && !job.finished ? html`<p class="hint">${t("job.keepOpen")}</p>` : null}
  </section>`;
}
