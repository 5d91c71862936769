// API keys (administrators): issue one (its token is shown once, here), list, revoke.
import { gql } from "../api.js";
import { useApp } from "../context.js";
import { dateTime } from "../format.js";
import { html, useRef, useState } from "../lib.js";
import { can } from "../session.js";
import { Badge, ErrorMessage, Loading, Page, Table, useQuery } from "../ui.js";
import { NeedsRole } from "./imports.js";

const KEY = "id prefix name role provinceCode createdAt createdBy expiresAt lastUsedAt revokedAt active";
const LIST = `query($all: Boolean!) { apiKeys(includeRevoked: $all) { ${KEY} } }`;
const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token key { ${KEY} } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY} } }`;
const ROLES = ["PARTNER", "OPERATIONS", "ADMIN"];

export function KeysPage() {
  const { t, viewer } = useApp();
  const [all, setAll] = useState(false);
  const allowed = can(viewer, "ADMIN");
  const list = useQuery(allowed ? LIST : null, { all }, [all, allowed]);
  if (!allowed) return html`<${NeedsRole} role="ADMIN" title=${t("keys.title")} />`;
  return html`<${Page} title=${t("keys.title")} lead=${t("keys.lead")}>
    <${CreateKey} onCreated=${list.reload} />
    <section class="panel" aria-labelledby="keys-list-title">
      <h2 id="keys-list-title">${t("keys.list")}</h2>
      <label class="check">
        <input type="checkbox" checked=${all} onChange=${(e) => setAll(e.currentTarget.checked)} />
        ${" "}${t("keys.showRevoked")}
      </label>
      <${ErrorMessage} error=${list.error} />
      ${list.loading && !list.data && html`<${Loading} />`}
      ${list.data?.apiKeys && html`<${KeyTable} keys=${list.data.apiKeys} onChanged=${list.reload} />`}
    </section>
  </${Page}>`;
}

function CreateKey({ onCreated }) {
  const { t, lang } = useApp();
  const [name, setName] = useState("");
  const [role, setRole] = useState("PARTNER");
  const [province, setProvince] = useState("");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const tokenField = useRef(null);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const input = {
        name: name.trim(),
        role,
        provinceCode: role === "PARTNER" && province.trim() ? province.trim() : null,
        // The end of the chosen day, in the administrator's time zone.
        expiresAt: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
      };
      const data = await gql(CREATE, { input });
      setCreated(data.createApiKey);
      setName("");
      setProvince("");
      setExpires("");
      onCreated();
      setTimeout(() => tokenField.current?.focus(), 0);
    } catch (problem) {
      setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    tokenField.current?.select();
    try {
      await navigator.clipboard.writeText(created.token);
    } catch {
      // no clipboard permission: the token is selected for the reader to copy
    }
  };
  return html`<section class="panel" aria-labelledby="keys-create-title">
    <h2 id="keys-create-title">${t("keys.create")}</h2>
    <form onSubmit=${submit}>
      <div class="field-row">
        <div class="field">
          <label for="key-name">${t("keys.name")}</label>
          <input id="key-name" required maxlength="200" value=${name} autocomplete="off"
            onInput=${(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="key-role">${t("keys.role")}</label>
          <select id="key-role" value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
            ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="key-province">${t("keys.province")}</label>
          <input id="key-province" inputmode="numeric" pattern="[0-9]{2}" maxlength="2" value=${province}
            disabled=${role !== "PARTNER"} aria-describedby="key-province-help"
            onInput=${(e) => setProvince(e.currentTarget.value)} />
          <p id="key-province-help" class="hint">${t("keys.provinceHelp")}</p>
        </div>
        <div class="field">
          <label for="key-expires">${t("keys.expires")}</label>
          <input id="key-expires" type="date" value=${expires} aria-describedby="key-expires-help"
            onInput=${(e) => setExpires(e.currentTarget.value)} />
          <p id="key-expires-help" class="hint">${t("keys.expiresHelp")}</p>
        </div>
      </div>
      <${ErrorMessage} error=${error} />
      <div class="actions"><button type="submit" class="primary" disabled=${busy}>${t("keys.issue")}</button></div>
    </form>
    ${created && html`<div class="token" role="region" aria-labelledby="token-title">
      <h3 id="token-title">${t("keys.tokenTitle", { name: created.key.name })}</h3>
      <p class="warning">${t("keys.tokenOnce")}</p>
      <label for="new-token">${t("keys.token")}</label>
      <div class="token-row">
        <input id="new-token" readonly value=${created.token} ref=${tokenField} spellcheck="false" autocomplete="off" />
        <button type="button" onClick=${copy}>${t("keys.copy")}</button>
      </div>
      <p class="hint">${t("keys.tokenMeta", { role: t(`role.${created.key.role}`), prefix: created.key.prefix, expires: created.key.expiresAt ? dateTime(created.key.expiresAt, lang) : t("keys.never") })}</p>
      <button type="button" class="secondary" onClick=${() => setCreated(null)}>${t("keys.stored")}</button>
    </div>`}
  </section>`;
}

function KeyTable({ keys, onChanged }) {
  const { t, lang, viewer } = useApp();
  const [asking, setAsking] = useState(null);
  const [error, setError] = useState(null);
  const revoke = async (key) => {
    setError(null);
    try {
      await gql(REVOKE, { id: key.id });
      setAsking(null);
      onChanged();
    } catch (problem) {
      setError(problem);
    }
  };
  const state = (key) => {
    if (key.revokedAt) return html`<${Badge} tone="bad">${t("keys.revoked")}</${Badge}>`;
    if (!key.active) return html`<${Badge} tone="warn">${t("keys.expired")}</${Badge}>`;
    return html`<${Badge} tone="good">${t("keys.active")}</${Badge}>`;
  };
  const action = (key) => {
    if (!key.active) return "–";
    if (key.prefix === viewer.keyPrefix) return html`<span class="hint">${t("keys.thisKey")}</span>`;
    if (asking !== key.id) {
      return html`<button type="button" class="danger" aria-label=${t("keys.revokeNamed", { name: key.name })}
        onClick=${() => setAsking(key.id)}>${t("keys.revoke")}</button>`;
    }
    return html`<span class="confirm-inline">
      <button type="button" class="danger" onClick=${() => revoke(key)} ref=${(el) => el?.focus()}
        aria-label=${t("keys.confirmRevokeNamed", { name: key.name })}>${t("keys.confirmRevoke")}</button>
      <button type="button" class="secondary" onClick=${() => setAsking(null)}>${t("keys.cancel")}</button>
    </span>`;
  };
  return html`
    <${ErrorMessage} error=${error} />
    <${Table}
      caption=${t("keys.caption")}
      rows=${keys}
      rowKey=${(k) => k.id}
      empty=${t("keys.none")}
      columns=${[
        { label: t("keys.name"), render: (k) => k.name },
        { label: t("keys.prefix"), render: (k) => html`<code>kdp_${k.prefix}_…</code>` },
        { label: t("keys.role"), render: (k) => t(`role.${k.role}`) },
        { label: t("keys.province"), render: (k) => k.provinceCode || t("keys.national") },
        { label: t("keys.createdAt"), render: (k) => `${dateTime(k.createdAt, lang)}${k.createdBy ? ` · ${k.createdBy}` : ""}` },
        { label: t("keys.expires"), render: (k) => (k.expiresAt ? dateTime(k.expiresAt, lang) : t("keys.never")) },
        { label: t("keys.lastUsed"), render: (k) => dateTime(k.lastUsedAt, lang) },
        { label: t("keys.state"), render: state },
        { label: t("keys.action"), render: action },
      ]} />
  `;
}
