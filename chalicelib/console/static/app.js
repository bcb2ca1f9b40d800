// The console's router: one page, views chosen by the URL's #fragment, a key before anything.
import { apiKey, forgetKey } from "./api.js";
import { batchPage } from "./batch.js";
import { batchesPage } from "./batches.js";
import { dropFolderPage } from "./dropfolder.js";
import { clearError } from "./dom.js";
import { keyPage } from "./key.js";
import { schedulesPage } from "./schedules.js";
import { go, refreshBalance } from "./shell.js";
import { uploadPage } from "./upload.js";
import { webhooksPage } from "./webhooks.js";

// Each view gets a signal that tells it when the user has left (to stop its polling).
let leaving = new AbortController();

function parse(hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query) };
}

function route() {
  leaving.abort();
  leaving = new AbortController();
  clearError();
  const { parts, params } = parse(location.hash);
  const signed = Boolean(apiKey());
  document.getElementById("nav").hidden = !signed;
  document.getElementById("forget-key").hidden = !signed;
  for (const link of document.querySelectorAll("#nav a")) {
    const current = link.getAttribute("href") === `#/${parts[0] || "batches"}` && parts.length < 2;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!signed || parts[0] === "key") {
    keyPage(parts[0] && parts[0] !== "key" ? location.hash : "#/batches");
    return;
  }
  refreshBalance();
  const context = { signal: leaving.signal, params };
  if (parts[0] === "new") uploadPage(context);
  else if (parts[0] === "webhooks") webhooksPage(context);
  else if (parts[0] === "schedules") schedulesPage(context);
  else if (parts[0] === "drop-folder") dropFolderPage(context);
  else if (parts[0] === "batches" && parts[1]) batchPage(decodeURIComponent(parts[1]), context);
  else batchesPage(context);
}

document.getElementById("forget-key").addEventListener("click", () => {
  forgetKey();
  go("#/key");
});
// The skip link moves the focus without touching the #fragment (which names the view).
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("page-title")?.focus();
});
window.addEventListener("hashchange", route);
route();
