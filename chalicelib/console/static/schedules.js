// The schedules page: recurring batches from a file under the tenant's sources/ folder.
import { call, get, post } from "./api.js";
import { loadCards } from "./cardlist.js";
import { clearError, count, h, page, showError, when } from "./dom.js";
import { endpointChoices } from "./endpoints.js";

function every(schedule) {
  if (schedule.rate_minutes) return `every ${schedule.rate_minutes} minutes`;
  return `cron ${schedule.cron} (${schedule.timezone})`;
}

// What each run's batch is asked for, in words (the options the page sets, and any other's name).
function optionsText(options) {
  const said = [options.mode === "advanced" ? "advanced mode" : "basic mode"];
  if (options.max_credits) said.push(`credit cap ${count(options.max_credits)}`);
  if (options.max_failed_percent !== undefined && options.max_failed_percent !== null) {
    said.push(`stops past ${options.max_failed_percent}% failed`);
  }
  if (options.auto_resume === false) said.push("no resume by itself");
  if (options.webhook_id) said.push("tells a webhook endpoint");
  const shown = new Set(["mode", "max_credits", "max_failed_percent", "auto_resume", "webhook_id"]);
  const others = Object.keys(options).filter((name) => !shown.has(name));
  if (others.length) said.push(`also ${others.sort().join(", ")}`);
  return said.join(" · ");
}

function runLine(run) {
  const what = run.batch_id
    ? h("a", { href: `#/batches/${encodeURIComponent(run.batch_id)}` }, run.batch_id)
    : `not started: ${run.error || "no reason given"}`;
  return h("li", {}, `${when(run.due_at)}: `, what);
}

function scheduleCard(schedule, act) {
  const id = encodeURIComponent(schedule.schedule_id);
  const pause = h("button", { type: "button", "data-pause": schedule.schedule_id },
    schedule.paused ? "Resume the schedule" : "Pause the schedule");
  pause.addEventListener("click", () => act(() => call("PATCH", `/v1/schedules/${id}`,
                                                       { json: { paused: !schedule.paused } })));
  const remove = h("button", { type: "button", "data-delete": schedule.schedule_id }, "Delete");
  remove.addEventListener("click", () => {
    if (confirm(`Delete the schedule ${schedule.name}? Batches it started stay.`)) {
      act(() => call("DELETE", `/v1/schedules/${id}`));
    }
  });
  return h("li", { class: "batch-card", "data-schedule": schedule.schedule_id },
    h("div", { class: "batch-card-head" }, h("span", { class: "batch-name" }, schedule.name),
      h("span", { class: "badge" }, schedule.paused ? "Paused" : "Active")),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Runs"), h("dd", {}, every(schedule))),
      h("div", {}, h("dt", {}, "File"), h("dd", {}, `sources/…/${schedule.source_key}`)),
      h("div", {}, h("dt", {}, "Options"), h("dd", { "data-options": "" }, optionsText(schedule.options || {}))),
      h("div", {}, h("dt", {}, "Next run"), h("dd", { "data-next": "" }, schedule.paused ? "paused" : when(schedule.next_run_at)))),
    schedule.last_runs.length
      ? h("ul", { class: "attempts", "aria-label": `Last runs of ${schedule.name}` }, schedule.last_runs.map(runLine))
      : h("p", { class: "hint" }, "No run yet."),
    h("div", { class: "actions" }, pause, remove));
}

// The hint under the file's field names the tenant's own sources/ folder once the API said it.
async function sourcesFolder(signal) {
  try {
    const folders = await get("/v1/drop-folder");
    const hint = document.getElementById("schedule-source-hint");
    if (signal.aborted || !hint) return;
    hint.textContent = `Its path below ${folders.sources} (aws s3 cp leads.csv ${folders.sources}crm/leads.csv); `
      + "read again at each run.";
  } catch {
    // the hint keeps its general words
  }
}

function createForm(done, signal) {
  const input = (id, attrs) => h("input", { id, name: id, autocomplete: "off", ...attrs });
  const choose = (id, choices) => h("select", { id, name: id },
    choices.map(([value, text]) => h("option", { value }, text)));
  const options = {
    mode: choose("schedule-mode", [["basic", "Basic (built-in checks)"], ["advanced", "Advanced (your sources too)"]]),
    max_credits: input("schedule-cap", { type: "number", min: "1", inputmode: "numeric" }),
    max_failed_percent: input("schedule-failed", { type: "number", min: "0", max: "100", step: "any",
                                                   inputmode: "decimal" }),
    webhook_id: choose("schedule-webhook", [["", "None"]]),
    auto_resume: input("schedule-resume", { type: "checkbox", checked: true }),
  };
  endpointChoices(options.webhook_id, signal);
  sourcesFolder(signal);
  const fields = {
    name: input("schedule-name", { type: "text", maxlength: "200", required: true }),
    source_key: input("schedule-source", { type: "text", maxlength: "900", required: true, placeholder: "crm/leads.csv" }),
    cron: input("schedule-cron", { type: "text", maxlength: "100", placeholder: "0 7 * * 1-5" }),
    timezone: input("schedule-timezone", { type: "text", value: "UTC" }),
    rate_minutes: input("schedule-rate", { type: "number", min: "1", max: "527040", inputmode: "numeric" }),
  };
  const field = (id, label, node, hint) => {
    if (hint) node.setAttribute("aria-describedby", `${id}-hint`);
    return h("div", { class: "field" }, h("label", { for: id }, label), node,
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
  };
  const form = h("form", { class: "panel", id: "new-schedule" }, h("h2", {}, "Add a schedule"),
    h("div", { class: "fields" },
      field("schedule-name", "Name", fields.name, "Each run's batch is named after it and its due time."),
      field("schedule-source", "File under your sources/ folder", fields.source_key,
        "Its path below your sources/ folder (the drop folder page says where it is); read again at each run."),
      field("schedule-cron", "Cron (5 fields)", fields.cron, "Or @hourly, @daily, @weekly… Leave empty for a rate."),
      field("schedule-timezone", "Time zone", fields.timezone, "An IANA name such as Europe/Paris."),
      field("schedule-rate", "Or every N minutes", fields.rate_minutes, "1 to 527,040.")),
    h("fieldset", { class: "events" }, h("legend", {}, "Each run's batch"),
      h("div", { class: "fields" },
        field("schedule-mode", "Mode", options.mode, null),
        field("schedule-cap", "Credit cap per run", options.max_credits, "Each run's batch pauses there. Empty: no cap."),
        field("schedule-failed", "Most failed rows (%)", options.max_failed_percent,
          "0 to 100: past it the batch stops as failed. Empty: never."),
        field("schedule-webhook", "Webhook endpoint", options.webhook_id, "Hears each run's batch events.")),
      h("div", { class: "field check" }, options.auto_resume,
        h("label", { for: "schedule-resume" }, "Resume by itself after a top-up"))),
    h("button", { type: "submit", class: "primary" }, "Add the schedule"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { name: fields.name.value.trim(), source_key: fields.source_key.value.trim() };
    if (fields.cron.value.trim()) Object.assign(body, { cron: fields.cron.value.trim(), timezone: fields.timezone.value.trim() });
    if (fields.rate_minutes.value) body.rate_minutes = Number(fields.rate_minutes.value);
    body.options = { mode: options.mode.value, auto_resume: options.auto_resume.checked };
    if (options.max_credits.value) body.options.max_credits = Number(options.max_credits.value);
    if (options.max_failed_percent.value) body.options.max_failed_percent = Number(options.max_failed_percent.value);
    if (options.webhook_id.value) body.options.webhook_id = options.webhook_id.value;
    done(() => post("/v1/schedules", { json: body }), form);
  });
  return form;
}

export function schedulesPage({ signal }) {
  const list = h("ul", { class: "batch-list", id: "schedule-list", "aria-busy": "true" });
  const load = () => loadCards(list, { path: "/v1/schedules", field: "schedules", signal,
                                       card: (schedule) => scheduleCard(schedule, act),
                                       empty: "No schedules yet." });

  // An action's error shown as the API's message; the list read again after it.
  async function act(action, form) {
    clearError();
    try {
      await action();
      if (form) form.reset();
      load();
    } catch (error) {
      showError(error);
    }
  }

  page("Schedules", h("p", { class: "hint" },
    "A schedule starts a batch from one of your files at every due time (once per due time, "
    + "however late), with the options below; the API takes every option of a new batch."),
  list, createForm(act, signal));
  load();
}
