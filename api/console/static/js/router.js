// Routes live in the URL's fragment (#/coverage/64.72), so the server serves one page and a
// link to any view can be shared. Nothing secret ever goes into the fragment.
import { useEffect, useState } from "./lib.js";

export function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { parts, params: new URLSearchParams(query), key: raw };
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}

/** A fragment link: link("jobs", 12) is "#/jobs/12"; params become its query. */
export function link(...parts) {
  let params = null;
  if (parts.length && typeof parts[parts.length - 1] === "object") params = parts.pop();
  const path = "#/" + parts.map((part) => encodeURIComponent(String(part))).join("/");
  const query = params ? new URLSearchParams(clean(params)).toString() : "";
  return query ? `${path}?${query}` : path;
}

function clean(params) {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value));
}

export function navigate(target) {
  if (location.hash !== target) location.hash = target;
}
