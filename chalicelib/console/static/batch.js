// A batch's page: live progress (polling), counts, credits, the pause reason with what lifts it,
// cancel, reprocess failed rows, and the results files. Counts only: no row is ever shown.
import { call, download, get, post } from "./api.js";
import { clearError, count, h, page, percent, progressBar, showError, statusBadge, when } from "./dom.js";
import { FILES, countCards, creditCards, foundList } from "./batchviews.js";
import { refreshBalance } from "./shell.js";
import { deliveriesSection } from "./deliveries.js";
import { timelineSection } from "./timeline.js";

const ACTIVE_MS = 1000; // while rows move
const PAUSED_MS = 4000; // a top-up elsewhere may resume it
const RUNNING = new Set(["validating", "queued", "processing"]);
const TITLES = { failed: "Why it failed:" };

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text; // live regions speak changes only
}

export function batchPage(batchId, { signal }) {
  const path = `/v1/batches/${encodeURIComponent(batchId)}`;
  const badge = h("span", { id: "batch-status" });
  const subtitle = h("p", { class: "subtitle" }, badge, h("span", { id: "batch-facts" }));
  const bar = progressBar("Rows settled");
  const progressLine = h("p", { id: "progress-line", class: "status-line", "aria-live": "polite" }, "Reading…");
  const message = h("p", { id: "batch-message" });
  const why = h("strong", { id: "notice-title", class: "notice-title" });
  const resume = h("button", { type: "button", class: "primary", id: "resume", hidden: true }, "Resume");
  const capInput = h("input", { id: "new-cap", type: "number", min: "1", inputmode: "numeric" });
  const capForm = h("form", { class: "inline-form", id: "raise-cap", hidden: true },
    h("label", { for: "new-cap" }, "New credit cap"), capInput,
    h("button", { type: "submit", class: "primary" }, "Raise the cap and resume"));
  const notice = h("div", { class: "notice", id: "notice", hidden: true }, why, message, resume, capForm);
  const counts = h("div", { class: "cards", id: "counts" });
  const credits = h("div", { class: "cards", id: "credits" });
  const found = h("div", { id: "found" });
  const cancel = h("button", { type: "button", id: "cancel", hidden: true }, "Cancel the batch");
  const reprocess = h("button", { type: "button", id: "reprocess", hidden: true }, "Enrich the failed rows again");
  const files = h("ul", { class: "downloads", id: "downloads" });
  const filesSection = h("section", { "aria-labelledby": "files-title", hidden: true },
    h("h2", { id: "files-title" }, "Results files"), files);
  const times = h("dl", { class: "facts", id: "times" });
  const timeline = timelineSection();
  const deliveries = deliveriesSection();
  let timer = null;
  let previewed = "";
  let previewedAt = 0;
  let loop = 0;
  let last = null;

  function update(batch) {
    if (last && last.credits_spent !== batch.credits_spent) refreshBalance();
    last = batch;
    const heading = document.getElementById("page-title");
    setText(heading, batch.name || batch.batch_id);
    document.title = `${batch.name || batch.batch_id} · batch-enrich`;
    badge.replaceChildren(statusBadge(batch.status));
    setText(document.getElementById("batch-facts"), ` ${batch.batch_id} · ${batch.entity_type || "–"} · ${batch.mode}`);
    bar.set(batch.progress);
    const c = batch.counts;
    const settled = c.completed + c.not_found + c.failed + c.skipped;
    setText(progressLine, batch.status === "awaiting_upload"
      ? "Waiting for the file: the batch starts when it arrives through its upload form."
      : c.total === null ? "Splitting the file into chunks…"
      : `${count(settled)} of ${count(c.total)} rows settled (${percent(batch.progress)})`
        + (c.parked ? `, ${count(c.parked)} parked until the batch resumes` : ""));
    const paused = batch.status.startsWith("paused");
    notice.hidden = !batch.message && !paused;
    notice.className = `notice notice-${paused ? "paused" : batch.status}`;
    setText(message, batch.message || "");
    setText(why, TITLES[batch.status] || "");
    why.hidden = !TITLES[batch.status];
    resume.hidden = batch.status !== "paused_insufficient_credits";
    capForm.hidden = batch.status !== "paused_credit_cap";
    if (capForm.hidden) capInput.value = "";
    else capInput.min = String((batch.credits_spent || 0) + 1);
    counts.replaceChildren(...countCards(batch));
    credits.replaceChildren(...creditCards(batch));
    cancel.hidden = !(RUNNING.has(batch.status) || paused || batch.status === "awaiting_upload");
    reprocess.hidden = !(batch.results && ["completed", "failed"].includes(batch.status) && c.failed > 0);
    setText(reprocess, `Enrich the ${count(c.failed)} failed rows again`);
    filesSection.hidden = !batch.results;
    if (batch.results && !files.children.length) files.replaceChildren(...downloadItems(batch.results));
    if (!batch.results) files.replaceChildren();
    const limit = batch.max_failed_percent;
    times.replaceChildren(
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, when(batch.created_at))),
      h("div", {}, h("dt", {}, "Started"), h("dd", {}, when(batch.started_at))),
      h("div", {}, h("dt", {}, "Finished"), h("dd", {}, when(batch.finished_at))),
      ...(limit === null || limit === undefined ? []
        : [h("div", {}, h("dt", {}, "Stops when failed rows pass"), h("dd", {}, `${limit}%`))]));
  }

  function downloadItems(results) {
    return FILES.filter(([key]) => results[key]).map(([key, name, what]) => {
      const button = h("button", { type: "button", id: `download-${key}`, class: "link-button" }, name);
      button.addEventListener("click", () => act(() => download(results[key]), false));
      return h("li", {}, button, h("span", { class: "hint" }, ` ${what}`));
    });
  }

  async function preview() {
    try {
      found.replaceChildren(foundList(await get(`${path}/preview`)));
    } catch {
      // the status call reports errors; the preview is an extra
    }
  }

  function next(batch) {
    if (signal.aborted) return;
    const done = batch.finished_at || batch.status === "failed";
    if (!done) timer = setTimeout(poll, batch.status.startsWith("paused") ? PAUSED_MS : ACTIVE_MS);
  }

  // One polling loop at a time: a newer call (after an action) retires the older one.
  async function poll() {
    clearTimeout(timer);
    const mine = ++loop;
    try {
      const batch = await get(path);
      if (signal.aborted || mine !== loop) return;
      if (document.getElementById("alert").dataset.from === "poll") clearError();
      update(batch);
      // The found counts follow the settled rows: at once when still, every few seconds when moving.
      const seen = `${batch.status} ${batch.counts.completed} ${batch.counts.not_found} ${batch.credits_spent}`;
      if (seen !== previewed && (!RUNNING.has(batch.status) || Date.now() - previewedAt > 2500)) {
        previewed = seen;
        previewedAt = Date.now();
        preview();
        timeline.show(path, batch);
        deliveries.show(path, batch);
      }
      next(batch);
    } catch (error) {
      if (signal.aborted || mine !== loop) return;
      showError(error);
      document.getElementById("alert").dataset.from = "poll";
      if (error.status !== 404 && error.status !== 401) {
        timer = setTimeout(poll, Math.max(error.retryAfter || 0, 2) * 1000);
      }
    }
  }

  // A button's action: its error shown as the API's message, the status read again after it.
  async function act(action, reread = true) {
    clearError();
    try {
      const answer = await action();
      if (reread) {
        if (answer && answer.batch_id) update(answer);
        refreshBalance();
        poll();
      }
    } catch (error) {
      showError(error);
      document.getElementById("alert").dataset.from = "action";
    }
  }

  resume.addEventListener("click", () => act(() => post(`${path}/resume`)));
  capForm.addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => call("PATCH", path, { json: { max_credits: Number(capInput.value) } }));
  });
  cancel.addEventListener("click", () => {
    const name = last ? last.name || last.batch_id : batchId;
    if (confirm(`Cancel ${name}? Rows not enriched yet are never charged.`)) act(() => post(`${path}/cancel`));
  });
  reprocess.addEventListener("click", () => act(() => post(`${path}/reprocess`, { json: { failed_only: true } })));
  signal.addEventListener("abort", () => {
    clearTimeout(timer);
    timeline.stop();
    deliveries.stop();
  });

  page(batchId, subtitle,
    h("section", { class: "panel", "aria-label": "Progress" }, bar, progressLine, notice),
    h("section", { "aria-labelledby": "rows-title" }, h("h2", { id: "rows-title" }, "Rows"), counts),
    h("section", { "aria-labelledby": "credits-title" }, h("h2", { id: "credits-title" }, "Credits"), credits),
    h("section", { "aria-labelledby": "found-title" }, h("h2", { id: "found-title" }, "Found"), found),
    filesSection,
    h("div", { class: "actions" }, reprocess, cancel),
    times,
    timeline.section,
    deliveries.section);
  poll();
}
