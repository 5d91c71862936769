// Recalculate coverage now (operations): the job is coalesced with one already queued.
import { gql } from "../api.js";
import { useApp } from "../context.js";
import { html, useState } from "../lib.js";
import { ErrorMessage } from "../ui.js";
import { JobPanel } from "./job_view.js";

const RECOMPUTE = "mutation { recomputeCoverage { job { id } userErrors { message } } }";

export function RecomputeCoverage() {
  const { t } = useApp();
  const [jobId, setJobId] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await gql(RECOMPUTE);
      setJobId(data.recomputeCoverage.job?.id || null);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="panel" aria-labelledby="recompute-title">
    <h2 id="recompute-title">${t("recompute.title")}</h2>
    <p class="hint">${t("recompute.help")}</p>
    <${ErrorMessage} error=${error} />
    <div class="actions"><button type="button" onClick=${run} disabled=${busy}>${t("recompute.run")}</button></div>
    ${jobId && html`<${JobPanel} key=${jobId} id=${jobId} title=${t("recompute.job")} />`}
  </section>`;
}
