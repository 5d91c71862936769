// A horizontal bar chart in plain SVG: one bar per item, scaled to `max`. Each bar is drawn
// with SVG attributes (no inline styles, which the CSP forbids) and its value is printed
// beside it, so the chart reads without colour and at 360 px.
import { html } from "./lib.js";

export function BarChart({ caption, items, max = 100, id }) {
  return html`
    <figure class="chart" aria-labelledby=${`${id}-caption`}>
      <figcaption id=${`${id}-caption`}>${caption}</figcaption>
      <ol class="bars">
        ${items.map((item) => {
          const width = max > 0 ? Math.max(0, Math.min(100, (100 * (item.value || 0)) / max)) : 0;
          return html`<li key=${item.key}>
            <span class="bar-label">${item.label}</span>
            <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
              <rect class="bar-track" x="0" y="0" width="100" height="10"></rect>
              <rect class="bar-fill" x="0" y="0" width=${width.toFixed(2)} height="10"></rect>
            </svg>
            <span class="bar-value">${item.text}</span>
          </li>`;
        })}
      </ol>
    </figure>
  `;
}
