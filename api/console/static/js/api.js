// GraphQL over HTTP: JSON queries and multipart uploads (the GraphQL multipart request spec).
// The console talks to nothing else. The API key travels only in the Authorization header.
import { getKey } from "./session.js";

// "/graphql" beside "/console/", so the console also works behind a proxy's path prefix.
export const ENDPOINT = new URL("../graphql", document.baseURI).href;

export function socketUrl() {
  const url = new URL(ENDPOINT);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

export class ApiError extends Error {
  constructor(message, { code = "ERROR", status = 0, retryAfter = null, field = null } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
    this.field = field;
  }
}

let onBadKey = () => {};

/** Called when the server answers 401 to the stored key (revoked, expired). */
export function whenKeyRefused(handler) {
  onBadKey = handler;
}

function authHeaders(key) {
  const token = key === undefined ? getKey() : key;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function post(body, headers, storedKey) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { Accept: "application/graphql-response+json, application/json", ...headers },
      body,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch (cause) {
    throw new ApiError(String(cause?.message || cause), { code: "NETWORK" });
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  const first = payload?.errors?.[0];
  // The kept key was refused (revoked, expired): sign out. A key being tried is not kept.
  if (response.status === 401 && storedKey && headers.Authorization) onBadKey();
  if (first) {
    const extensions = first.extensions || {};
    throw new ApiError(first.message, {
      code: extensions.code || "ERROR",
      status: response.status,
      retryAfter: extensions.retryAfter ?? response.headers.get("retry-after"),
    });
  }
  if (!response.ok || !payload) {
    throw new ApiError(`HTTP ${response.status}`, { code: "HTTP", status: response.status });
  }
  return payload.data;
}

/** Run a query or mutation; resolves to `data`, rejects with an ApiError on any error. */
export function gql(query, variables = {}, { key } = {}) {
  const headers = { "Content-Type": "application/json", ...authHeaders(key) };
  return post(JSON.stringify({ query, variables }), headers, key === undefined);
}

/**
 * A mutation with files: `files` maps variable paths ("variables.file") to File objects,
 * sent as the spec's `operations`, `map` and one part per file.
 */
export function upload(query, variables, files) {
  const form = new FormData();
  const nulled = { ...variables };
  const map = {};
  Object.keys(files).forEach((path, index) => {
    nulled[path.replace(/^variables\./, "")] = null;
    map[String(index)] = [path];
  });
  form.append("operations", JSON.stringify({ query, variables: nulled }));
  form.append("map", JSON.stringify(map));
  Object.values(files).forEach((file, index) => form.append(String(index), file, file.name));
  return post(form, authHeaders(), true);
}

/** Every node of a connection, following `after` cursors (for CSV downloads). */
export async function allNodes(fetchPage) {
  const nodes = [];
  let after = null;
  for (let guard = 0; guard < 1000; guard += 1) {
    const page = await fetchPage(after);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return nodes;
}
