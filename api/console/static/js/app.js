// The frame of every view: header with navigation (what the role may use), language switch,
// sign-in state, and the view the URL's fragment names.
import { ApiError, gql, whenKeyRefused } from "./api.js";
import { AppContext, useApp } from "./context.js";
import { LANGUAGES, initialLanguage, keepLanguage, translator } from "./i18n.js";
import { html, useEffect, useMemo, useState } from "./lib.js";
import { link, navigate, useRoute } from "./router.js";
import { VIEWER, can, clearKey, getKey, setKey } from "./session.js";
import { Badge, ErrorMessage, Loading, Page } from "./ui.js";
import { CoveragePage, RegionPage } from "./pages/coverage.js";
import { FindingsPage } from "./pages/findings.js";
import { ImportsPage } from "./pages/imports.js";
import { JobPage, JobsPage } from "./pages/jobs.js";
import { KeysPage } from "./pages/keys.js";
import { SignInPage } from "./pages/signin.js";

const ANONYMOUS = { role: "ANONYMOUS" };

export function App() {
  const [lang, setLang] = useState(initialLanguage);
  const [viewer, setViewer] = useState(null);
  const [notice, setNotice] = useState(null);
  const [problem, setProblem] = useState(null);
  const route = useRoute();
  const t = useMemo(() => translator(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
    keepLanguage(lang);
  }, [lang]);

  useEffect(() => {
    whenKeyRefused(() => {
      clearKey();
      setViewer(ANONYMOUS);
      setNotice("keyRefused");
    });
    if (!getKey()) {
      setViewer(ANONYMOUS);
      return;
    }
    gql(VIEWER).then(
      (data) => setViewer(data.viewer),
      (error) => {
        setViewer(ANONYMOUS);
        if (error.status !== 401) setProblem(error);
      },
    );
  }, []);

  const signIn = async (key) => {
    if (!/^kdp_[A-Za-z0-9]+_\S+$/.test(key)) {
      throw new ApiError(t("signin.malformed"), { code: "MALFORMED" });
    }
    const data = await gql(VIEWER, {}, { key });
    setKey(key);
    setNotice(null);
    setViewer(data.viewer);
  };
  const signOut = () => {
    clearKey();
    setViewer(ANONYMOUS);
    setNotice("signedOut");
    navigate(link("coverage"));
  };
  const context = { lang, setLang, t, viewer, signIn, signOut };
  return html`<${AppContext.Provider} value=${context}>
    <a class="skip" href=${route.key ? `#/${route.key}` : "#/"} onClick=${skipToContent}>${t("nav.skip")}</a>
    <${Header} route=${route} />
    <main id="main" tabindex="-1">
      ${notice && html`<p class="notice" role="status">${t(`notice.${notice}`)}</p>`}
      <${ErrorMessage} error=${problem} />
      ${viewer ? html`<${View} route=${route} />` : html`<${Loading} />`}
    </main>
    <footer class="footer">
      <p>${t("footer.text")}</p>
    </footer>
  </${AppContext.Provider}>`;
}

function skipToContent(event) {
  event.preventDefault();
  document.getElementById("main")?.focus();
}

function Header({ route }) {
  const { t, lang, setLang, viewer, signOut } = useApp();
  const section = route.parts[0] || "coverage";
  const items = [
    ["coverage", t("nav.coverage"), true],
    ["findings", t("nav.findings"), true],
    ["imports", t("nav.imports"), can(viewer, "OPERATIONS")],
    ["jobs", t("nav.jobs"), can(viewer, "OPERATIONS")],
    ["keys", t("nav.keys"), can(viewer, "ADMIN")],
  ].filter(([, , shown]) => shown);
  const signedIn = viewer && viewer.role !== "ANONYMOUS";
  return html`<header class="header">
    <div class="brand">
      <a href=${link("coverage")} class="brand-link">Kopdes</a>
      <span class="brand-sub">${t("app.subtitle")}</span>
    </div>
    <nav class="nav" aria-label=${t("nav.label")}>
      <ul>
        ${items.map(
          ([key, label]) => html`<li key=${key}>
            <a href=${link(key)} aria-current=${section === key ? "page" : undefined}>${label}</a>
          </li>`,
        )}
      </ul>
    </nav>
    <div class="account">
      <label for="language" class="visually-hidden">${t("app.language")}</label>
      <select id="language" value=${lang} onChange=${(e) => setLang(e.currentTarget.value)}>
        ${LANGUAGES.map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
      </select>
      ${signedIn
        ? html`<a href=${link("signin")} class="who" aria-current=${section === "signin" ? "page" : undefined}>
              <${Badge} tone="info">${t(`role.${viewer.role}`)}</${Badge}> <span class="who-name">${viewer.keyName}</span>
            </a>
            <button type="button" class="secondary" onClick=${signOut}>${t("nav.signOut")}</button>`
        : viewer && html`<a class="button" href=${link("signin", { next: location.hash || "" })}
              aria-current=${section === "signin" ? "page" : undefined}>${t("nav.signIn")}</a>`}
    </div>
  </header>`;
}

function View({ route }) {
  const { t } = useApp();
  const [section, id] = route.parts;
  switch (section || "coverage") {
    case "coverage":
      return id ? html`<${RegionPage} key=${id} code=${id} />` : html`<${CoveragePage} />`;
    case "findings":
      return html`<${FindingsPage} key=${id || "all"} code=${id || null} />`;
    case "imports":
      return html`<${ImportsPage} />`;
    case "jobs":
      return id ? html`<${JobPage} key=${id} id=${id} />` : html`<${JobsPage} params=${route.params} />`;
    case "keys":
      return html`<${KeysPage} />`;
    case "signin":
      return html`<${SignInPage} params=${route.params} />`;
    default:
      return html`<${Page} title=${t("notFound.title")}>
        <p>${t("notFound.text")}</p>
        <p><a href=${link("coverage")}>${t("region.backToNation")}</a></p>
      </${Page}>`;
  }
}
