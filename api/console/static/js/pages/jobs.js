// Jobs (operations): the history, filtered by kind, status and who asked, and one job in full.
import { gql } from "../api.js";
import { useApp } from "../context.js";
import { between, dateTime, number, seconds } from "../format.js";
import { html, useEffect, useState } from "../lib.js";
import { link, navigate } from "../router.js";
import { can } from "../session.js";
import { Badge, ErrorMessage, Loading, Page, StatusBadge, Table } from "../ui.js";
import { NeedsRole } from "./imports.js";
import { JobOutcome, JobProgress, useJob } from "./job_view.js";

const PAGE = 25;
const JOBS = `query($kind: JobKind, $status: JobStatus, $who: String, $after: String) {
  importJobs(kind: $kind, status: $status, requestedBy: $who, first: ${PAGE}, after: $after) {
    totalCount
    edges { node { id databaseId kind status dryRun sourceName message attempts requestedBy
      createdAt startedAt finishedAt errorCount warningCount } }
    pageInfo { hasNextPage endCursor } } }`;
const KINDS = ["villages", "cooperatives", "coverage"];
const STATUSES = ["queued", "running", "succeeded", "failed"];

export function JobsPage({ params }) {
  const { t, lang, viewer } = useApp();
  const filters = { kind: params.get("kind") || "", status: params.get("status") || "", who: params.get("who") || "" };
  const [who, setWho] = useState(filters.who);
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const allowed = can(viewer, "OPERATIONS");
  const filterKey = `${filters.kind}|${filters.status}|${filters.who}`;

  const load = async (after, keep) => {
    setLoading(true);
    setError(null);
    try {
      const data = await gql(JOBS, {
        kind: filters.kind || null,
        status: filters.status || null,
        who: filters.who || null,
        after,
      });
      const page = data.importJobs;
      setJobs((before) => ({
        total: page.totalCount,
        rows: [...(keep ? before.rows : []), ...page.edges.map((e) => e.node)],
        next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
      }));
    } catch (problem) {
      setError(problem);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setWho(filters.who);
    if (allowed) load(null, false);
  }, [filterKey, allowed]);
  if (!allowed) return html`<${NeedsRole} role="OPERATIONS" title=${t("jobs.title")} />`;

  const apply = (change) => navigate(link("jobs", { ...filters, ...change }));
  const requesters = [...new Set((jobs?.rows || []).map((j) => j.requestedBy).filter(Boolean))];
  return html`<${Page} title=${t("jobs.title")} lead=${t("jobs.lead")}>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); apply({ who: who.trim() }); }}>
      <div class="field">
        <label for="filter-kind">${t("jobs.kind")}</label>
        <select id="filter-kind" value=${filters.kind} onChange=${(e) => apply({ kind: e.currentTarget.value })}>
          <option value="">${t("jobs.any")}</option>
          ${KINDS.map((k) => html`<option value=${k}>${t(`kind.job.${k}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="filter-status">${t("jobs.status")}</label>
        <select id="filter-status" value=${filters.status} onChange=${(e) => apply({ status: e.currentTarget.value })}>
          <option value="">${t("jobs.any")}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`status.${s}`)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="filter-who">${t("jobs.who")}</label>
        <input id="filter-who" list="requesters" value=${who} autocomplete="off"
          aria-describedby="filter-who-help" onInput=${(e) => setWho(e.currentTarget.value)} />
        <datalist id="requesters">${requesters.map((r) => html`<option value=${r}></option>`)}</datalist>
        <p id="filter-who-help" class="hint">${t("jobs.whoHelp")}</p>
      </div>
      <div class="actions">
        <button type="submit">${t("jobs.apply")}</button>
        <a class="button secondary" href=${link("jobs")}>${t("jobs.clear")}</a>
      </div>
    </form>
    <${ErrorMessage} error=${error} />
    ${!jobs && loading && html`<${Loading} />`}
    ${jobs && html`
      <${Table}
        caption=${t("jobs.caption", { shown: number(jobs.rows.length, lang), total: number(jobs.total, lang) })}
        rows=${jobs.rows}
        rowKey=${(j) => j.id}
        empty=${t("jobs.none")}
        columns=${[
          { label: "#", render: (j) => html`<a href=${link("jobs", j.databaseId)}>#${j.databaseId}</a>` },
          { label: t("jobs.kind"), render: (j) => html`${t(`kind.job.${j.kind}`)}${j.dryRun ? html` <${Badge} tone="info">${t("job.dryRun")}</${Badge}>` : ""}` },
          { label: t("jobs.status"), render: (j) => html`<${StatusBadge} status=${j.status} />` },
          { label: t("job.file"), render: (j) => j.sourceName || "–" },
          { label: t("jobs.who"), render: (j) => j.requestedBy || "–" },
          { label: t("job.created"), render: (j) => dateTime(j.createdAt, lang) },
          { label: t("job.took"), numeric: true, render: (j) => seconds(between(j.startedAt, j.finishedAt), lang) },
          { label: t("job.attempts"), numeric: true, render: (j) => number(j.attempts, lang) },
          { label: t("job.errors"), numeric: true, render: (j) => number(j.errorCount, lang) },
          { label: t("jobs.outcome"), render: (j) => j.message || "–" },
        ]} />
      ${jobs.next && html`<div class="actions">
        <button type="button" disabled=${loading} onClick=${() => load(jobs.next, true)}>${t("jobs.more")}</button>
      </div>`}`}
  </${Page}>`;
}

export function JobPage({ id }) {
  const { t, viewer } = useApp();
  const allowed = can(viewer, "OPERATIONS");
  const { job, mode, error, missing } = useJob(allowed ? id : null);
  if (!allowed) return html`<${NeedsRole} role="OPERATIONS" title=${t("job.title", { id })} />`;
  return html`<${Page} title=${t("job.title", { id })}>
    <p><a href=${link("jobs")}>← ${t("jobs.back")}</a></p>
    <${ErrorMessage} error=${error} />
    ${!job && !error && !missing && html`<${Loading} />`}
    ${missing && html`<p class="empty">${t("job.missing")}</p>`}
    ${job && html`<${JobProgress} job=${job} mode=${mode} />`}
    ${job?.finished && html`<${JobOutcome} job=${job} />`}
  </${Page}>`;
}
