// Kopdes's GraphiQL page (after Strawberry's strawberry/static/graphiql.html). A file, not an
// inline script, so the page's Content-Security-Policy can say script-src 'self'.
(function () {
  "use strict";

  const EXAMPLE_QUERY = `# Kopdes: villages, cooperatives and coverage
# of the Koperasi Desa/Kelurahan Merah Putih.
#
# Ctrl-Enter runs, Ctrl-Space completes; the
# Docs pane lists every field. Coverage is
# public. With an API key, open "Headers":
#   {"Authorization": "Bearer <your key>"}

{
  nationalCoverage {
    activeVillages
    coveredVillages
    coveragePercent
  }
  provinces {
    code
    name
    coverage {
      coveragePercent
    }
  }
}
`;

  // ?query=...&variables=... make a query shareable as a link. Headers never go into the
  // URL: they hold API keys.
  const parameters = {};
  for (const [key, value] of new URLSearchParams(window.location.search)) {
    if (key === "query" || key === "variables" || key === "operationName") {
      parameters[key] = value;
    }
  }

  function updateURL(changes) {
    Object.assign(parameters, changes);
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(parameters)) {
      if (value) {
        search.set(key, value);
      }
    }
    history.replaceState(null, "", "?" + search.toString());
  }

  const url = window.location.href.split(/[?#]/)[0];
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = subscriptionUrl.protocol === "https:" ? "wss:" : "ws:";

  // HTTP for queries and mutations; graphql-transport-ws (graphql-ws) for subscriptions.
  const fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: subscriptionUrl.toString(),
  });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function KopdesGraphiQL() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: EXAMPLE_QUERY,
      query: parameters.query,
      variables: parameters.variables,
      operationName: parameters.operationName,
      onEditQuery: (query) => updateURL({ query: query }),
      onEditVariables: (variables) => updateURL({ variables: variables }),
      onEditOperationName: (name) => updateURL({ operationName: name }),
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // API keys typed into the headers editor stay in this tab, not in localStorage where
      // anyone later at the same browser profile could read them.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(KopdesGraphiQL),
  );
})();
