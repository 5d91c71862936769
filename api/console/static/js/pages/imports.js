// Imports (operations): an edition of the official list or a registry snapshot, always
// previewed first (a dry run that writes nothing), then imported for real from the same files.
import { upload } from "../api.js";
import { useApp } from "../context.js";
import { number, percent } from "../format.js";
import { html, useState } from "../lib.js";
import { link } from "../router.js";
import { can } from "../session.js";
import { ErrorMessage, Page, Table, useQuery } from "../ui.js";
import { zipSync } from "../../vendor/fflate.mjs";
import { JobPanel } from "./job_view.js";
import { RecomputeCoverage } from "./recompute.js";

const START_VILLAGES = `mutation($file: Upload!, $edition: EditionInput!, $dryRun: Boolean!, $mapping: Upload,
    $allowMassRetirement: Boolean!) {
  startVillageImport(file: $file, edition: $edition, dryRun: $dryRun, mapping: $mapping,
    allowMassRetirement: $allowMassRetirement) {
    job { id databaseId } userErrors { code field message } } }`;
const START_REGISTRY = `mutation($file: Upload!, $dryRun: Boolean!) {
  startCooperativeImport(file: $file, dryRun: $dryRun) {
    job { id databaseId } userErrors { code field message } } }`;
const RETIRED = `{ retiredVillagesWithCooperatives(first: 50) { totalCount
  edges { node { code name ancestors { name } cooperatives { name } } } } }`;
// The server's guard rails (shared/villages/guards.py): a dry run warns with these codes, and
// the import is refused unless the operator confirms (allowMassRetirement).
const MASS_RETIREMENT = "mass_retirement";
const OLDER_EDITION = "older_edition";

export function ImportsPage() {
  const { t, viewer } = useApp();
  // Bumped when an import ends, so the list of retired villages with cooperatives is re-read.
  const [imports, setImports] = useState(0);
  if (!can(viewer, "OPERATIONS")) return html`<${NeedsRole} role="OPERATIONS" title=${t("imports.title")} />`;
  const imported = () => setImports((n) => n + 1);
  return html`<${Page} title=${t("imports.title")} lead=${t("imports.lead")}>
    <${VillageImport} onImported=${imported} />
    <${RegistryImport} onImported=${imported} />
    <${RecomputeCoverage} />
    <${RetiredWithCooperatives} round=${imports} />
  </${Page}>`;
}

/** What a visitor without the role sees instead of a view's controls. */
export function NeedsRole({ role, title }) {
  const { t, viewer } = useApp();
  return html`<${Page} title=${title}>
    <p class="notice" role="note">
      ${t(viewer?.role === "ANONYMOUS" || !viewer ? "needs.signIn" : "needs.role", { role: t(`role.${role}`) })}
    </p>
    ${(viewer?.role || "ANONYMOUS") === "ANONYMOUS" && html`<p><a class="button" href=${link("signin", { next: location.hash })}>${t("nav.signIn")}</a></p>`}
  </${Page}>`;
}

/**
 * The preview-then-import flow both forms share. `send(dryRun)` starts a job and resolves to
 * the mutation's payload; `signature` says which inputs the preview was made of.
 */
function useImportFlow() {
  const [preview, setPreview] = useState(null); // { id, signature, job }
  const [real, setReal] = useState(null); // { id }
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [refusals, setRefusals] = useState([]);
  const start = async (dryRun, signature, send) => {
    setBusy(true);
    setError(null);
    setRefusals([]);
    try {
      const payload = await send(dryRun);
      if (payload.userErrors.length) setRefusals(payload.userErrors);
      else if (dryRun) {
        setPreview({ id: payload.job.id, signature, job: null });
        setReal(null);
      } else setReal({ id: payload.job.id });
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const previewed = (job) => setPreview((now) => (now && now.id === job.id ? { ...now, job } : now));
  return { preview, real, busy, error, refusals, start, previewed };
}

/** A form's problems and its preview button. */
function PreviewButton({ flow, problem }) {
  const { t } = useApp();
  return html`
    ${problem && html`<div class="error" role="alert">${problem}</div>`}
    <${Refusals} refusals=${flow.refusals} />
    <${ErrorMessage} error=${flow.error} />
    <div class="actions"><button type="submit" disabled=${flow.busy}>${t("imports.preview")}</button></div>
  `;
}

/**
 * The preview's job; once it succeeded (and the form is as it was), the button that imports
 * the same inputs, behind an optional `gate` (a confirmation, `ready` once given); then the
 * import's job.
 */
function PreviewThenImport({ flow, signature, send, onImported, gate = null, ready = true }) {
  const { t } = useApp();
  const fresh = flow.preview && flow.preview.signature === signature;
  const runnable = fresh && flow.preview.job?.status === "succeeded" && !flow.real;
  return html`
    ${flow.preview && html`<${JobPanel} id=${flow.preview.id} title=${t("imports.previewJob")} onFinished=${flow.previewed} />`}
    ${flow.preview && !fresh && html`<p class="notice">${t("imports.changedSincePreview")}</p>`}
    ${runnable && html`<div class="confirm">
      ${gate}
      <button type="button" class="primary" disabled=${!ready || flow.busy}
        onClick=${() => flow.start(false, signature, send)}>${t("imports.run")}</button>
    </div>`}
    ${flow.real && html`<${JobPanel} id=${flow.real.id} title=${t("imports.importJob")} onFinished=${onImported} />`}
  `;
}

function Refusals({ refusals }) {
  if (!refusals.length) return null;
  return html`<div class="error" role="alert">
    <ul>${refusals.map((r) => html`<li>${r.field ? `${r.field}: ` : ""}${r.message}</li>`)}</ul>
  </div>`;
}

function fileSignature(files) {
  return files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join("|");
}

/** One file as chosen, or several per-level CSV files packed into one ZIP (as a folder). */
async function editionFile(files, label) {
  if (files.length === 1) return files[0];
  const entries = {};
  for (const file of files) entries[file.name] = new Uint8Array(await file.arrayBuffer());
  const safe = label.replace(/[^A-Za-z0-9._-]+/g, "-") || "edition";
  return new File([zipSync(entries)], `edition-${safe}.zip`, { type: "application/zip" });
}

function VillageImport({ onImported }) {
  const { t, lang } = useApp();
  const [files, setFiles] = useState([]);
  const [mapping, setMapping] = useState(null);
  const [label, setLabel] = useState("");
  const [decree, setDecree] = useState("");
  const [publishedOn, setPublishedOn] = useState("");
  const [confirmed, setConfirmed] = useState(false);
  const [problem, setProblem] = useState(null);
  const flow = useImportFlow();
  const signature = [fileSignature(files), mapping ? fileSignature([mapping]) : "", label, decree, publishedOn].join("#");

  const send = async (dryRun) => {
    const edition = { label: label.trim(), decree: decree.trim() || null, publishedOn: publishedOn || null };
    const chosen = { "variables.file": await editionFile(files, edition.label) };
    if (mapping) chosen["variables.mapping"] = mapping;
    const allowMassRetirement = !dryRun && needsConfirm && confirmed;
    const data = await upload(START_VILLAGES, { edition, dryRun, mapping: null, allowMassRetirement }, chosen);
    return data.startVillageImport;
  };
  const check = () => {
    if (!files.length) return t("imports.villages.noFile");
    if (files.length > 1 && files.some((f) => !/\.(csv|tsv|txt)$/i.test(f.name))) return t("imports.villages.manyNotCsv");
    if (!label.trim()) return t("imports.villages.noLabel");
    return null;
  };
  const onPreview = (event) => {
    event.preventDefault();
    const reason = check();
    setProblem(reason);
    setConfirmed(false);
    if (!reason) flow.start(true, signature, send);
  };
  const job = flow.preview?.job;
  const share = job ? retiredShare(job) : 0;
  const concerns = new Set((job?.warnings?.edges || []).map((e) => e.node.code));
  const needsConfirm = concerns.has(MASS_RETIREMENT) || concerns.has(OLDER_EDITION);

  return html`<section class="panel" aria-labelledby="villages-title">
    <h2 id="villages-title">${t("imports.villages.title")}</h2>
    <p class="hint">${t("imports.villages.help")}</p>
    <form onSubmit=${onPreview} novalidate>
      <div class="field">
        <label for="edition-files">${t("imports.villages.files")}</label>
        <input id="edition-files" type="file" multiple accept=".zip,.csv,.tsv,.txt,.xlsx,.json"
          aria-describedby="edition-files-help"
          onChange=${(e) => setFiles([...e.currentTarget.files])} />
        <p id="edition-files-help" class="hint">${t("imports.villages.filesHelp")}</p>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="edition-label">${t("imports.villages.label")}</label>
          <input id="edition-label" required value=${label} onInput=${(e) => setLabel(e.currentTarget.value)}
            aria-describedby="edition-label-help" autocomplete="off" />
          <p id="edition-label-help" class="hint">${t("imports.villages.labelHelp")}</p>
        </div>
        <div class="field">
          <label for="edition-decree">${t("imports.villages.decree")}</label>
          <input id="edition-decree" value=${decree} onInput=${(e) => setDecree(e.currentTarget.value)} autocomplete="off" />
        </div>
        <div class="field">
          <label for="edition-date">${t("imports.villages.date")}</label>
          <input id="edition-date" type="date" value=${publishedOn} onInput=${(e) => setPublishedOn(e.currentTarget.value)} />
        </div>
      </div>
      <div class="field">
        <label for="edition-mapping">${t("imports.villages.mapping")}</label>
        <input id="edition-mapping" type="file" accept=".csv,.tsv,.txt" aria-describedby="edition-mapping-help"
          onChange=${(e) => setMapping(e.currentTarget.files[0] || null)} />
        <p id="edition-mapping-help" class="hint">${t("imports.villages.mappingHelp")}</p>
      </div>
      <${PreviewButton} flow=${flow} problem=${problem} />
    </form>
    <${PreviewThenImport}
      flow=${flow}
      signature=${signature}
      send=${send}
      onImported=${onImported}
      ready=${!needsConfirm || confirmed}
      gate=${needsConfirm && html`<div class="warning" id="retire-warning">
          ${concerns.has(MASS_RETIREMENT) && html`<p>${t("imports.villages.retiresMany", { share: percent(100 * share, lang), count: number(retiredVillages(job), lang) })}</p>`}
          ${concerns.has(OLDER_EDITION) && html`<p>${t("imports.villages.olderEdition", { label: label.trim() })}</p>`}
        </div>
        <label class="check"><input type="checkbox" checked=${confirmed}
          aria-describedby="retire-warning"
          onChange=${(e) => setConfirmed(e.currentTarget.checked)} /> ${t("imports.villages.confirmRetire")}</label>`} />
  </section>`;
}

function retiredVillages(job) {
  return job.changesByLevel.find((l) => l.level === "village")?.retired || 0;
}

/** Share of the current villages the edition retires. */
function retiredShare(job) {
  const village = job.changesByLevel.find((l) => l.level === "village");
  if (!village) return 0;
  const current = village.unchanged + village.renamed + village.retired;
  return current ? village.retired / current : 0;
}

function RegistryImport({ onImported }) {
  const { t } = useApp();
  const [file, setFile] = useState(null);
  const [problem, setProblem] = useState(null);
  const flow = useImportFlow();
  const signature = file ? fileSignature([file]) : "";
  const send = async (dryRun) => {
    const data = await upload(START_REGISTRY, { dryRun }, { "variables.file": file });
    return data.startCooperativeImport;
  };
  const onPreview = (event) => {
    event.preventDefault();
    const reason = file ? null : t("imports.registry.noFile");
    setProblem(reason);
    if (!reason) flow.start(true, signature, send);
  };
  return html`<section class="panel" aria-labelledby="registry-title">
    <h2 id="registry-title">${t("imports.registry.title")}</h2>
    <p class="hint">${t("imports.registry.help")}</p>
    <form onSubmit=${onPreview} novalidate>
      <div class="field">
        <label for="registry-file">${t("imports.registry.file")}</label>
        <input id="registry-file" type="file" accept=".csv,.tsv,.txt,.xlsx"
          onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />
      </div>
      <${PreviewButton} flow=${flow} problem=${problem} />
    </form>
    <${PreviewThenImport} flow=${flow} signature=${signature} send=${send} onImported=${onImported} />
  </section>`;
}

/** Retired villages whose cooperatives wait for a decision (a mapping, or a re-link). */
function RetiredWithCooperatives({ round }) {
  const { t, lang } = useApp();
  const { data, error } = useQuery(RETIRED, {}, [round]);
  const found = data?.retiredVillagesWithCooperatives;
  return html`<section class="panel" aria-labelledby="retired-title">
    <h2 id="retired-title">${t("retired.title")}</h2>
    <p class="hint">${t("retired.help")}</p>
    <${ErrorMessage} error=${error} />
    ${found && html`<${Table}
      caption=${t("retired.caption", { count: number(found.totalCount, lang) })}
      rows=${found.edges.map((e) => e.node)}
      rowKey=${(v) => v.code}
      empty=${t("retired.none")}
      columns=${[
        { label: t("diff.code"), render: (v) => html`<a href=${link("coverage", v.code)}>${v.code}</a>` },
        { label: t("level.village"), render: (v) => v.name },
        { label: t("retired.where"), render: (v) => v.ancestors.map((a) => a.name).join(" › ") },
        { label: t("figures.cooperatives"), render: (v) => v.cooperatives.map((c) => c.name).join(", ") },
      ]} />`}
  </section>`;
}
