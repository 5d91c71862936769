// Coverage: the nation and its 38 provinces, then any region down to a village, with
// breadcrumbs. Public: an anonymous visitor sees all of it.
import { BarChart } from "../chart.js";
import { useApp } from "../context.js";
import { number, percent } from "../format.js";
import { html } from "../lib.js";
import { link } from "../router.js";
import { Badge, ErrorMessage, Loading, Page, SortableTable, useQuery, useSort } from "../ui.js";
import { CoverageSummary, VillageDetail } from "./village.js";

export const FIGURES = `activeVillages desaCount kelurahanCount coveredVillages coveragePercent
  cooperatives kdmp kkmp mergers mockups retiredVillagesWithCooperatives
  funnel { covered formed legalEntity operational }
  proposals { total submitted approved rejected formed }
  dataVersion computedAt stale`;
// A table row needs fewer figures than a summary (and a page of 100 rows costs less).
const ROW = `activeVillages coveredVillages coveragePercent cooperatives stale
  funnel { formed legalEntity operational } proposals { total submitted approved rejected formed }`;

const NATIONAL = `{ nationalCoverage { ${FIGURES} }
  provinces { code name coverage { ${ROW} } } }`;

const REGION = `query($code: String!) { region(code: $code) {
  code name level retired
  ancestors { code name level }
  coverage { ${FIGURES} }
  ... on Regency { kind }
  ... on Village { kind customary cooperatives {
    id name kind scheme stage isMockup outletTypes villages { code name } } }
  children { totalCount edges { node { code name level
    ... on Regency { kind } ... on Village { kind } coverage { ${ROW} } } } }
} }`;

export function CoveragePage() {
  const { t, lang } = useApp();
  const { data, error, loading } = useQuery(NATIONAL, {}, []);
  const provinces = (data?.provinces || []).map((p) => ({ ...p, figures: p.coverage }));
  return html`<${Page} title=${t("coverage.title")} lead=${t("coverage.lead")}>
    ${loading && !data && html`<${Loading} />`}
    <${ErrorMessage} error=${error} />
    ${data && !data.nationalCoverage && html`<p class="empty">${t("coverage.none")}</p>`}
    ${data?.nationalCoverage && html`<${CoverageSummary} figures=${data.nationalCoverage} />`}
    ${data && html`<${RegionBreakdown}
      rows=${provinces}
      level="province"
      caption=${t("coverage.provinces", { count: number(provinces.length, lang) })}
      chartId="provinces-chart" />`}
  </${Page}>`;
}

export function RegionPage({ code }) {
  const { t, lang } = useApp();
  const { data, error, loading } = useQuery(REGION, { code }, [code]);
  const region = data?.region;
  if (loading && !data) return html`<${Page} title=${code}><${Loading} /></${Page}>`;
  if (error) return html`<${Page} title=${code}><${ErrorMessage} error=${error} /></${Page}>`;
  if (!region) {
    return html`<${Page} title=${code}>
      <p class="empty">${t("region.notFound", { code })}</p>
      <p><a href=${link("coverage")}>${t("region.backToNation")}</a></p>
    </${Page}>`;
  }
  const rows = region.children.edges.map(({ node }) => ({ ...node, figures: node.coverage }));
  const childLevel = { province: "regency", regency: "district", district: "village" }[region.level];
  return html`<${Page} title=${region.name}>
    <${Breadcrumbs} region=${region} />
    <p class="region-meta">
      ${[t(`level.${region.level}`), region.kind && t(`kind.${region.kind}`)].filter(Boolean).join(" · ")}
      ${" · "}${t("region.code")} <code>${region.code}</code>
      ${region.retired && html` <${Badge} tone="warn">${t("region.retired")}</${Badge}>`}
    </p>
    ${region.level === "village"
      ? html`<${VillageDetail} village=${region} />`
      : html`
        ${region.coverage
          ? html`<${CoverageSummary} figures=${region.coverage} />`
          : html`<p class="empty">${t("coverage.none")}</p>`}
        <${RegionBreakdown}
          rows=${rows}
          level=${childLevel}
          caption=${t(`coverage.children.${childLevel}`, {
            count: number(region.children.totalCount, lang),
            name: region.name,
          })}
          chartId="children-chart" />`}
  </${Page}>`;
}

function Breadcrumbs({ region }) {
  const { t } = useApp();
  const trail = [{ code: null, name: "Indonesia" }, ...region.ancestors];
  return html`<nav class="crumbs" aria-label=${t("region.breadcrumbs")}>
    <ol>
      ${trail.map(
        (step) => html`<li key=${step.code || "id"}>
          <a href=${step.code ? link("coverage", step.code) : link("coverage")}>${step.name}</a>
        </li>`,
      )}
      <li aria-current="page">${region.name}</li>
    </ol>
  </nav>`;
}

/** The sortable table of regions one level down, and the bar chart that follows its order. */
function RegionBreakdown({ rows, level, caption, chartId }) {
  const { t, lang } = useApp();
  const columns = regionColumns(t, lang, level);
  const sorting = useSort(rows, columns, { key: "name", dir: 1 });
  if (!rows.length) return html`<p class="empty">${t("region.noChildren")}</p>`;
  const chartItems = sorting.sorted.map((row) => ({
    key: row.code,
    label: row.name,
    value: row.figures?.coveragePercent ?? 0,
    text: percent(row.figures?.coveragePercent, lang),
  }));
  return html`
    <${SortableTable} caption=${caption} columns=${columns} sorting=${sorting} rowKey=${(r) => r.code} />
    ${level !== "village" &&
    html`<${BarChart} id=${chartId} caption=${t("chart.coverage")} items=${chartItems} max=${100} />`}
  `;
}

function regionColumns(t, lang, level) {
  const figure = (path) => (row) => path.split(".").reduce((v, k) => v?.[k], row.figures);
  const count = (key, label, path) => ({
    key,
    label,
    numeric: true,
    sort: figure(path),
    render: (row) => number(figure(path)(row), lang),
  });
  const name = {
    key: "name",
    label: t(`level.${level}`),
    sort: (row) => row.name,
    render: (row) => html`<a href=${link("coverage", row.code)}>${row.name}</a>
      <span class="code">${row.code}</span>`,
  };
  const proposals = [
    count("proposalsSubmitted", t("proposals.submitted"), "proposals.submitted"),
    count("proposalsApproved", t("proposals.approved"), "proposals.approved"),
    count("proposalsRejected", t("proposals.rejected"), "proposals.rejected"),
    count("proposalsFormed", t("proposals.formed"), "proposals.formed"),
  ];
  if (level === "village") {
    return [
      name,
      { key: "kind", label: t("region.kind"), sort: (r) => r.kind, render: (r) => t(`kind.${r.kind}`) },
      {
        key: "covered",
        label: t("figures.covered"),
        sort: figure("coveredVillages"),
        render: (row) => (figure("coveredVillages")(row) ? t("yes") : t("no")),
      },
      count("cooperatives", t("figures.cooperatives"), "cooperatives"),
      {
        key: "stage",
        label: t("figures.stageReached"),
        sort: stageRank,
        render: (row) => t(`funnel.${stageReached(row)}`),
      },
      ...proposals,
    ];
  }
  return [
    name,
    count("villages", t("figures.villages"), "activeVillages"),
    count("covered", t("figures.covered"), "coveredVillages"),
    {
      key: "percent",
      label: t("figures.percent"),
      numeric: true,
      sort: figure("coveragePercent"),
      render: (row) => percent(figure("coveragePercent")(row), lang),
    },
    count("cooperatives", t("figures.cooperatives"), "cooperatives"),
    ...proposals,
    count("formed", t("funnel.formed"), "funnel.formed"),
    count("legalEntity", t("funnel.legalEntity"), "funnel.legalEntity"),
    count("operational", t("funnel.operational"), "funnel.operational"),
  ];
}

const STAGES = ["none", "covered", "formed", "legalEntity", "operational"];

function stageReached(row) {
  const f = row.figures;
  if (!f?.activeVillages || !f.coveredVillages) return "none";
  if (f.funnel.operational) return "operational";
  if (f.funnel.legalEntity) return "legalEntity";
  if (f.funnel.formed) return "formed";
  return "covered";
}

function stageRank(row) {
  return STAGES.indexOf(stageReached(row));
}
