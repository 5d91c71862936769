// Entry point: render the console into #app, in place of the loading message.
import { App } from "./app.js";
import { html, render } from "./lib.js";

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
