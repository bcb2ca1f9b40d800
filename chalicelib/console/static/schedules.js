// The schedules page: recurring batches from a file under the tenant's sources/ folder.
import { call, get, post } from "./api.js";
import { clearError, h, page, showError, when } from "./dom.js";

function every(schedule) {
  if (schedule.rate_minutes) return `every ${schedule.rate_minutes} minutes`;
  return `cron ${schedule.cron} (${schedule.timezone})`;
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
      h("div", {}, h("dt", {}, "Next run"), h("dd", { "data-next": "" }, schedule.paused ? "paused" : when(schedule.next_run_at)))),
    schedule.last_runs.length
      ? h("ul", { class: "attempts", "aria-label": `Last runs of ${schedule.name}` }, schedule.last_runs.map(runLine))
      : h("p", { class: "hint" }, "No run yet."),
    h("div", { class: "actions" }, pause, remove));
}

function createForm(done) {
  const input = (id, attrs) => h("input", { id, name: id, autocomplete: "off", ...attrs });
  const fields = {
    name: input("schedule-name", { type: "text", maxlength: "200", required: true }),
    source_key: input("schedule-source", { type: "text", maxlength: "900", required: true, placeholder: "crm/leads.csv" }),
    cron: input("schedule-cron", { type: "text", maxlength: "100", placeholder: "0 7 * * 1-5" }),
    timezone: input("schedule-timezone", { type: "text", value: "UTC" }),
    rate_minutes: input("schedule-rate", { type: "number", min: "1", max: "527040", inputmode: "numeric" }),
  };
  const field = (id, label, node, hint) => h("div", { class: "field" }, h("label", { for: id }, label), node,
    hint ? h("p", { class: "hint" }, hint) : null);
  const form = h("form", { class: "panel", id: "new-schedule" }, h("h2", {}, "Add a schedule"),
    h("div", { class: "fields" },
      field("schedule-name", "Name", fields.name, "Each run's batch is named after it and its due time."),
      field("schedule-source", "File under your sources/ folder", fields.source_key,
        "Put it with aws s3 cp to s3://BUCKET/sources/YOUR_TENANT_ID/…; read again at each run."),
      field("schedule-cron", "Cron (5 fields)", fields.cron, "Or @hourly, @daily, @weekly… Leave empty for a rate."),
      field("schedule-timezone", "Time zone", fields.timezone, "An IANA name such as Europe/Paris."),
      field("schedule-rate", "Or every N minutes", fields.rate_minutes, "1 to 527,040.")),
    h("button", { type: "submit", class: "primary" }, "Add the schedule"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { name: fields.name.value.trim(), source_key: fields.source_key.value.trim() };
    if (fields.cron.value.trim()) Object.assign(body, { cron: fields.cron.value.trim(), timezone: fields.timezone.value.trim() });
    if (fields.rate_minutes.value) body.rate_minutes = Number(fields.rate_minutes.value);
    done(() => post("/v1/schedules", { json: body }), form);
  });
  return form;
}

export function schedulesPage({ signal }) {
  const list = h("ul", { class: "batch-list", id: "schedule-list", "aria-busy": "true" });

  async function load() {
    try {
      const found = await get("/v1/schedules");
      if (signal.aborted) return;
      list.replaceChildren(...found.schedules.map((schedule) => scheduleCard(schedule, act)));
      if (!found.schedules.length) list.replaceChildren(h("li", { class: "empty" }, "No schedules yet."));
    } catch (error) {
      if (!signal.aborted) showError(error);
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

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
    + "however late). Its options are those of a new batch; set them through the API."),
  list, createForm(act));
  load();
}
