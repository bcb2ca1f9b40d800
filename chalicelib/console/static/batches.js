// The batches list: newest first, filtered by status and searched by name, counts only.
import { get } from "./api.js";
import { clearError, count, h, page, percent, progressBar, showError, statusBadge, when } from "./dom.js";
import { go } from "./shell.js";

// The filter's choices and the statuses each asks the API for.
const FILTERS = {
  "": ["All batches", ""],
  awaiting_upload: ["Awaiting upload", "awaiting_upload"],
  running: ["Running", "validating,queued,processing"],
  paused: ["Paused", "paused_insufficient_credits,paused_credit_cap"],
  completed: ["Completed", "completed"],
  failed: ["Failed", "failed"],
  cancelled: ["Cancelled", "cancelled"],
};
const ACTIVE = new Set(["validating", "queued", "processing"]);
const REFRESH_MS = 3000;

function batchCard(batch) {
  const bar = progressBar(`Progress of ${batch.name || batch.batch_id}`);
  bar.set(batch.progress);
  const total = batch.counts.total;
  const settled = (batch.counts.completed || 0) + (batch.counts.not_found || 0)
    + (batch.counts.failed || 0) + (batch.counts.skipped || 0);
  return h("li", { class: "batch-card", "data-batch": batch.batch_id },
    h("div", { class: "batch-card-head" },
      h("a", { href: `#/batches/${encodeURIComponent(batch.batch_id)}`, class: "batch-name" },
        batch.name || batch.batch_id),
      statusBadge(batch.status)),
    bar,
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Rows"), h("dd", {}, batch.status === "awaiting_upload" ? "waiting for the file"
        : total === null ? "counting…" : `${count(settled)} of ${count(total)} (${percent(batch.progress)})`)),
      h("div", {}, h("dt", {}, "Credits"), h("dd", {}, count(batch.credits_spent))),
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, when(batch.created_at)))));
}

export function batchesPage({ signal, params }) {
  const filter = FILTERS[params.get("status") || ""] ? params.get("status") || "" : "";
  const query = params.get("q") || "";
  const status = h("select", { id: "status-filter", name: "status" },
    Object.entries(FILTERS).map(([value, [text]]) => h("option", { value, selected: value === filter }, text)));
  const search = h("input", { id: "name-search", name: "q", type: "search", value: query, autocomplete: "off" });
  const form = h("form", { class: "filters", role: "search" },
    h("div", { class: "field" }, h("label", { for: "status-filter" }, "Status"), status),
    h("div", { class: "field grow" }, h("label", { for: "name-search" }, "Name contains"), search),
    h("button", { type: "submit" }, "Search"));
  const list = h("ul", { class: "batch-list", id: "batch-list", "aria-busy": "true" });
  const more = h("button", { type: "button", id: "more", hidden: true }, "Show older batches");
  let cursor = null;
  let pages = 0;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = new URLSearchParams();
    if (status.value) wanted.set("status", status.value);
    if (search.value.trim()) wanted.set("q", search.value.trim());
    const text = wanted.toString();
    go(`#/batches${text ? `?${text}` : ""}`);
  });
  status.addEventListener("change", () => form.requestSubmit());

  async function load(next) {
    const asked = new URLSearchParams({ limit: "20" });
    if (FILTERS[filter][1]) asked.set("status", FILTERS[filter][1]);
    if (query) asked.set("query", query);
    if (next) asked.set("cursor", next);
    try {
      const found = await get(`/v1/batches?${asked}`);
      if (signal.aborted) return;
      clearError();
      if (!next && pages === 1 && list.contains(document.activeElement)) {
        schedule(); // never pull a card from under the keyboard's focus
        return;
      }
      const cards = found.batches.map(batchCard);
      if (next) list.append(...cards);
      else list.replaceChildren(...cards);
      if (!next) pages = 1;
      else pages += 1;
      if (!list.children.length) {
        list.replaceChildren(h("li", { class: "empty" }, filter || query
          ? "No batch matches this filter."
          : "No batches yet: start one from New batch."));
      }
      cursor = found.next_cursor;
      more.hidden = !cursor;
      list.setAttribute("aria-busy", "false");
      // While a batch on the first page runs, read that page again (never once older pages show).
      if (pages === 1 && found.batches.some((b) => ACTIVE.has(b.status))) schedule();
    } catch (error) {
      if (signal.aborted) return;
      showError(error);
      list.setAttribute("aria-busy", "false");
      if (error.status === 429) setTimeout(() => !signal.aborted && load(next), (error.retryAfter || 1) * 1000);
    }
  }

  function schedule() {
    setTimeout(() => !signal.aborted && pages === 1 && load(null), REFRESH_MS);
  }

  more.addEventListener("click", () => load(cursor));
  page("Batches", form, list, more,
    h("p", {}, h("a", { href: "#/new", class: "button primary" }, "New batch")));
  load(null);
}
