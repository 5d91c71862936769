// Data-quality findings: villages several cooperatives claim (covered once in coverage) and
// registry rows whose place could not be reconciled (counted in no region), with counts per
// province, or per regency inside a province. Public, like coverage; a scoped key sees its
// province.
import { useApp } from "../context.js";
import { number } from "../format.js";
import { html } from "../lib.js";
import { link } from "../router.js";
import { ErrorMessage, Facts, Loading, Page, Table, useQuery } from "../ui.js";

const PAGE = 50;

const FINDINGS = `query($code: String, $level: FindingLevel!) {
  dataQualityFindings(regionCode: $code) {
    sharedVillagesCount cooperativesInSharedVillages unplacedRowsCount unplacedCooperatives
    byRegion(level: $level) {
      code name sharedVillages cooperativesInSharedVillages unplacedRows unplacedCooperatives
    }
    sharedVillages(first: ${PAGE}) { edges { node { code name cooperatives { registryId name } } } }
    unplacedRows(first: ${PAGE}) {
      edges { node { source line place level outcome reason cooperatives candidateCode } }
    }
  }
}`;

export function FindingsPage({ code = null }) {
  const { t, lang } = useApp();
  const level = code ? "REGENCY" : "PROVINCE";
  const { data, error, loading } = useQuery(FINDINGS, { code, level }, [code]);
  const found = data?.dataQualityFindings;
  const title = code ? t("findings.titleIn", { code }) : t("findings.title");
  return html`<${Page} title=${title} lead=${t("findings.lead")}>
    ${code && html`<p><a href=${link("findings")}>${t("findings.backToNation")}</a></p>`}
    ${loading && !data && html`<${Loading} />`}
    <${ErrorMessage} error=${error} />
    ${found &&
    html`
      <${Facts}
        items=${[
          [t("findings.sharedVillages"), number(found.sharedVillagesCount, lang)],
          [t("findings.cooperativesInShared"), number(found.cooperativesInSharedVillages, lang)],
          [t("findings.unplacedRows"), number(found.unplacedRowsCount, lang)],
          [t("findings.unplacedCooperatives"), number(found.unplacedCooperatives, lang)],
        ]} />
      <${ByRegion} rows=${found.byRegion} level=${level} />
      <${SharedVillages} edges=${found.sharedVillages.edges} total=${found.sharedVillagesCount} />
      <${UnplacedRows} edges=${found.unplacedRows.edges} total=${found.unplacedRowsCount} />
    `}
  </${Page}>`;
}

function ByRegion({ rows, level }) {
  const { t, lang } = useApp();
  const region = (row) =>
    row.code
      ? level === "PROVINCE"
        ? html`<a href=${link("findings", row.code)}>${row.name}</a> <span class="code">${row.code}</span>`
        : html`<a href=${link("coverage", row.code)}>${row.name}</a> <span class="code">${row.code}</span>`
      : t("findings.noRegion");
  const count = (key) => ({ numeric: true, render: (row) => number(row[key], lang) });
  return html`<${Table}
    caption=${t(level === "PROVINCE" ? "findings.byProvince" : "findings.byRegency")}
    rows=${rows}
    rowKey=${(row) => row.code || "none"}
    empty=${t("findings.none")}
    columns=${[
      { label: t(level === "PROVINCE" ? "level.province" : "level.regency"), render: region },
      { label: t("findings.sharedVillages"), ...count("sharedVillages") },
      { label: t("findings.cooperativesInShared"), ...count("cooperativesInSharedVillages") },
      { label: t("findings.unplacedRows"), ...count("unplacedRows") },
      { label: t("findings.unplacedCooperatives"), ...count("unplacedCooperatives") },
    ]} />`;
}

function SharedVillages({ edges, total }) {
  const { t, lang } = useApp();
  const rows = edges.map((edge) => edge.node);
  return html`<h2>${t("findings.sharedVillagesTitle")}</h2>
    ${total > rows.length && html`<p class="hint">${t("findings.firstOf", { shown: number(rows.length, lang), total: number(total, lang) })}</p>`}
    <${Table}
      caption=${t("findings.sharedVillagesTitle")}
      rows=${rows}
      rowKey=${(row) => row.code}
      empty=${t("findings.noSharedVillages")}
      columns=${[
        {
          label: t("level.village"),
          render: (row) => html`<a href=${link("coverage", row.code)}>${row.name}</a> <span class="code">${row.code}</span>`,
        },
        {
          label: t("figures.cooperatives"),
          render: (row) => row.cooperatives.map((c) => `${c.name} (${c.registryId || "-"})`).join("; "),
        },
      ]} />`;
}

function UnplacedRows({ edges, total }) {
  const { t, lang } = useApp();
  const rows = edges.map((edge) => edge.node);
  return html`<h2>${t("findings.unplacedTitle")}</h2>
    ${total > rows.length && html`<p class="hint">${t("findings.firstOf", { shown: number(rows.length, lang), total: number(total, lang) })}</p>`}
    <${Table}
      caption=${t("findings.unplacedTitle")}
      rows=${rows}
      rowKey=${(row) => `${row.source}:${row.line}`}
      empty=${t("findings.noUnplaced")}
      columns=${[
        { label: t("findings.place"), render: (row) => row.place },
        { label: t("findings.outcome"), render: (row) => t(`findings.outcome.${row.outcome}`) },
        { label: t("figures.cooperatives"), numeric: true, render: (row) => number(row.cooperatives, lang) },
        { label: t("findings.reason"), render: (row) => row.reason },
        { label: t("findings.source"), render: (row) => `${row.source}, ${t("findings.line")} ${row.line}` },
      ]} />`;
}
