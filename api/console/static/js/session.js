// The signed-in API key: kept in sessionStorage (gone when the tab closes), never in a URL.
const STORE = "kopdes.console.apiKey";

export function getKey() {
  try {
    return sessionStorage.getItem(STORE);
  } catch {
    return null; // storage switched off: the console works anonymously
  }
}

export function setKey(key) {
  sessionStorage.setItem(STORE, key);
}

export function clearKey() {
  try {
    sessionStorage.removeItem(STORE);
  } catch {
    // nothing stored
  }
}

// Each role includes the ones before it, as in the API.
const RANK = { ANONYMOUS: 0, PARTNER: 1, OPERATIONS: 2, ADMIN: 3 };

export function can(viewer, role) {
  return RANK[viewer?.role || "ANONYMOUS"] >= RANK[role];
}

export const VIEWER = `{ viewer { role keyName keyPrefix provinceCode expiresAt
  queryCostBudget rateLimit { limit periodSeconds remaining } } }`;
