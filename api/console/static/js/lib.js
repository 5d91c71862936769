// The one place the vendored libraries are imported: Preact, its hooks, and htm templates.
import { h } from "../vendor/preact.mjs";
import htm from "../vendor/htm.mjs";

export { createContext, Fragment, h, render } from "../vendor/preact.mjs";
export {
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "../vendor/hooks.mjs";

// html`<p>${text}</p>`: htm builds Preact elements; text is set as text, never parsed as HTML.
export const html = htm.bind(h);
