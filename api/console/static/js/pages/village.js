// The figures of one scope (nation or region) and the page of a village with its cooperatives.
import { BarChart } from "../chart.js";
import { useApp } from "../context.js";
import { dateTime, number, percent } from "../format.js";
import { html } from "../lib.js";
import { link } from "../router.js";
import { Badge, Facts } from "../ui.js";

/** The figures of a scope, its data version, and a badge while a recalculation is pending. */
export function CoverageSummary({ figures }) {
  const { t, lang } = useApp();
  const f = figures;
  const funnel = [
    ["covered", f.funnel.covered],
    ["formed", f.funnel.formed],
    ["legalEntity", f.funnel.legalEntity],
    ["operational", f.funnel.operational],
  ].map(([key, value]) => ({
    key,
    label: t(`funnel.${key}`),
    value,
    text: number(value, lang),
  }));
  return html`
    <p class="version">
      ${t("figures.version", { version: number(f.dataVersion, lang), at: dateTime(f.computedAt, lang) })}
      ${" "}
      ${f.stale
        ? html`<${Badge} tone="warn">${t("figures.stale")}</${Badge}>`
        : html`<${Badge} tone="good">${t("figures.current")}</${Badge}>`}
    </p>
    <${Facts}
      className="stats"
      items=${[
        [t("figures.villages"), number(f.activeVillages, lang)],
        [t("figures.covered"), number(f.coveredVillages, lang)],
        [t("figures.percent"), percent(f.coveragePercent, lang)],
        [t("figures.cooperatives"), number(f.cooperatives, lang)],
      ]} />
    <div class="columns">
      <${Facts}
        items=${[
          [t("figures.desa"), number(f.desaCount, lang)],
          [t("figures.kelurahan"), number(f.kelurahanCount, lang)],
          ["KDMP", number(f.kdmp, lang)],
          ["KKMP", number(f.kkmp, lang)],
          [t("figures.mergers"), number(f.mergers, lang)],
          [t("figures.mockups"), number(f.mockups, lang)],
          [t("figures.retiredWithCooperatives"), number(f.retiredVillagesWithCooperatives, lang)],
        ]} />
      <${Facts}
        items=${[
          [t("proposals.total"), number(f.proposals.total, lang)],
          [t("proposals.submitted"), number(f.proposals.submitted, lang)],
          [t("proposals.approved"), number(f.proposals.approved, lang)],
          [t("proposals.rejected"), number(f.proposals.rejected, lang)],
          [t("proposals.formed"), number(f.proposals.formed, lang)],
        ]} />
    </div>
    <${BarChart} id="funnel" caption=${t("chart.funnel")} items=${funnel} max=${Math.max(1, f.activeVillages)} />
  `;
}

/** A village: whether it is covered, and the cooperatives that cover it (public fields). */
export function VillageDetail({ village }) {
  const { t, lang } = useApp();
  const f = village.coverage;
  const covered = f ? f.coveredVillages > 0 : village.cooperatives.length > 0;
  return html`
    <${Facts}
      className="stats"
      items=${[
        [t("region.kind"), t(`kind.${village.kind}`) + (village.customary ? ` (${t("kind.adat")})` : "")],
        [t("figures.covered"), covered ? t("yes") : t("no")],
        [t("figures.cooperatives"), number(village.cooperatives.length, lang)],
        f && [t("proposals.total"), number(f.proposals.total, lang)],
      ]} />
    <h2>${t("village.cooperatives")}</h2>
    ${village.cooperatives.length === 0 && html`<p class="empty">${t("village.noCooperative")}</p>`}
    <ul class="cards">
      ${village.cooperatives.map(
        (coop) => html`<li key=${coop.id} class="card">
          <h3>${coop.name}</h3>
          <p>
            <${Badge}>${coop.kind.toUpperCase()}</${Badge}>
            ${coop.isMockup && html` <${Badge} tone="info">${t("village.mockup")}</${Badge}>`}
          </p>
          <${Facts}
            items=${[
              [t("village.stage"), t(`stage.${coop.stage}`)],
              [t("village.scheme"), t(`scheme.${coop.scheme}`)],
              [
                t("village.outlets"),
                coop.outletTypes.length ? coop.outletTypes.map((o) => t(`outlet.${o}`)).join(", ") : "–",
              ],
              [
                t("village.villages"),
                html`${coop.villages.map(
                  (v, i) => html`${i ? ", " : ""}<a href=${link("coverage", v.code)}>${v.name}</a>`,
                )}`,
              ],
            ]} />
        </li>`,
      )}
    </ul>
  `;
}
