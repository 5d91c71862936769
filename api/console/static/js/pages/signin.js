// Sign in with an API key. The key is checked with `viewer` before it is kept (in
// sessionStorage, for this tab only); it is never put in a URL.
import { useApp } from "../context.js";
import { dateTime, number } from "../format.js";
import { html, useState } from "../lib.js";
import { link, navigate } from "../router.js";
import { ErrorMessage, Facts, Page } from "../ui.js";

export function SignInPage({ params }) {
  const { t, lang, viewer, signIn, signOut } = useApp();
  const [key, setKey] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
      setKey("");
      navigate(params.get("next") || link("coverage"));
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const signedIn = viewer && viewer.role !== "ANONYMOUS";
  return html`<${Page} title=${signedIn ? t("signin.account") : t("signin.title")}>
    ${signedIn
      ? html`<${Facts}
            items=${[
              [t("signin.role"), t(`role.${viewer.role}`)],
              [t("signin.keyName"), viewer.keyName],
              [t("keys.prefix"), html`<code>kdp_${viewer.keyPrefix}_…</code>`],
              [t("keys.province"), viewer.provinceCode || t("keys.national")],
              [t("keys.expires"), viewer.expiresAt ? dateTime(viewer.expiresAt, lang) : t("keys.never")],
              viewer.rateLimit && [
                t("signin.rate"),
                t("signin.rateValue", {
                  remaining: number(viewer.rateLimit.remaining, lang),
                  limit: number(viewer.rateLimit.limit, lang),
                  period: number(viewer.rateLimit.periodSeconds, lang),
                }),
              ],
              [t("signin.cost"), number(viewer.queryCostBudget, lang)],
            ]} />
          <div class="actions"><button type="button" onClick=${signOut}>${t("nav.signOut")}</button></div>`
      : html`<p class="lead">${t("signin.lead")}</p>
          <form onSubmit=${submit} class="narrow">
            <div class="field">
              <label for="api-key">${t("signin.key")}</label>
              <input id="api-key" type="password" required autocomplete="off" spellcheck="false"
                aria-describedby="api-key-help" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} />
              <p id="api-key-help" class="hint">${t("signin.keyHelp")}</p>
            </div>
            <${ErrorMessage} error=${error} />
            <div class="actions"><button type="submit" class="primary" disabled=${busy || !key.trim()}>${t("nav.signIn")}</button></div>
          </form>`}
  </${Page}>`;
}
