// The upload page: a file (dropped or picked) and options -> preflight (nothing stored) -> start.
import { idempotencyKey, post } from "./api.js";
import { clearError, count, h, page, showError } from "./dom.js";
import { endpointChoices } from "./endpoints.js";
import { details, mappingTable, summary } from "./preflight.js";
import { go, refreshBalance } from "./shell.js";

function field(id, label, input, hint) {
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

function select(id, choices) {
  return h("select", { id, name: id }, choices.map(([value, text]) => h("option", { value }, text)));
}

function optionsForm() {
  const input = (id, attrs) => h("input", { id, name: id, ...attrs });
  return {
    name: input("name", { type: "text", maxlength: "200", autocomplete: "off" }),
    mode: select("mode", [["basic", "Basic (built-in checks)"], ["advanced", "Advanced (your sources too)"]]),
    entity_type: select("entity_type", [["", "Inferred"], ["person", "People"],
      ["company", "Companies"], ["place", "Places"], ["creator", "Creators"]]),
    row_limit: input("row_limit", { type: "number", min: "1", inputmode: "numeric" }),
    max_credits: input("max_credits", { type: "number", min: "1", inputmode: "numeric" }),
    max_failed_percent: input("max_failed_percent", { type: "number", min: "0", max: "100", step: "any",
                                                      inputmode: "decimal" }),
    default_country: input("default_country", { type: "text", maxlength: "2", autocomplete: "off" }),
    webhook_id: select("webhook_id", [["", "None"]]),
    dedupe: input("dedupe", { type: "checkbox" }),
    auto_resume: input("auto_resume", { type: "checkbox", checked: true }),
    escape_formulas: input("escape_formulas", { type: "checkbox", checked: true }),
  };
}

// The multipart body of a preflight and of the create: the same file, options and column map.
function formData(state, options) {
  const form = new FormData();
  form.append("file", state.file, state.file.name);
  const name = options.name.value.trim() || state.file.name.replace(/\.[^.]+$/, "");
  form.append("name", name);
  form.append("mode", options.mode.value);
  if (options.entity_type.value) form.append("entity_type", options.entity_type.value);
  if (options.row_limit.value) form.append("row_limit", options.row_limit.value);
  if (options.max_credits.value) form.append("max_credits", options.max_credits.value);
  if (options.max_failed_percent.value) form.append("max_failed_percent", options.max_failed_percent.value);
  if (options.default_country.value.trim()) form.append("default_country", options.default_country.value.trim());
  if (options.webhook_id.value) form.append("webhook_id", options.webhook_id.value);
  for (const flag of ["dedupe", "auto_resume", "escape_formulas"]) form.append(flag, String(options[flag].checked));
  if (Object.keys(state.overrides).length) form.append("column_map", JSON.stringify(state.overrides));
  return form;
}

export function uploadPage({ signal }) {
  const state = { file: null, overrides: {}, found: null, asked: 0, key: idempotencyKey() };
  const options = optionsForm();
  const fileInput = h("input", { id: "file", name: "file", type: "file", class: "file-input",
                                 accept: ".csv,.tsv,.txt,text/csv,text/plain", "aria-describedby": "file-hint" });
  const chosen = h("p", { id: "file-name", class: "file-name", "aria-live": "polite" }, "No file chosen yet.");
  const drop = h("div", { class: "drop", id: "drop" },
    h("label", { for: "file", class: "drop-label" }, "Choose a CSV file, or drop one here"),
    fileInput,
    h("p", { class: "hint", id: "file-hint" },
      "Comma, semicolon, tab or pipe separated; any header. Up to 10 MB through this page."),
    chosen);
  const status = h("p", { id: "preflight-status", class: "status-line", "aria-live": "polite" });
  const results = h("div", { id: "preflight-results" });
  const start = h("button", { type: "button", class: "primary", id: "start", disabled: true }, "Start batch");
  const costLine = h("p", { class: "hint", id: "start-hint" });
  const check = h("section", { id: "preflight", "aria-labelledby": "preflight-title", hidden: true },
    h("h2", { id: "preflight-title" }, "Check before you start"), status, results,
    h("div", { class: "actions" }, start, costLine));

  async function preflight() {
    if (!state.file) return;
    const asked = ++state.asked;
    check.hidden = false;
    check.setAttribute("aria-busy", "true");
    status.textContent = `Reading ${state.file.name}…`;
    try {
      const found = await post("/v1/batches/preflight", { form: formData(state, options) });
      if (asked !== state.asked || signal.aborted) return; // a newer question is on its way
      clearError();
      state.found = found;
      status.textContent = `Read ${count(found.rows)} rows of ${state.file.name}. Nothing is stored or charged yet.`;
      const focused = results.contains(document.activeElement) ? document.activeElement.id : null;
      results.replaceChildren(summary(found), details(found), h("h3", {}, "Columns"),
        mappingTable(found.mapping, state.overrides, choose));
      if (focused) document.getElementById(focused)?.focus(); // a keyboard user keeps their place
      start.disabled = found.usable === 0; // the create reads the file again whatever this says
      costLine.textContent = `At most ${count(found.cost_estimate.max)} credits; rows that find nothing cost nothing.`;
    } catch (error) {
      if (asked !== state.asked || signal.aborted) return;
      status.replaceChildren(`${state.file.name} cannot be started as it is: see the message above.`,
        error.status === 413 ? h("span", {}, " A file this big goes through the ",
          h("a", { href: "#/drop-folder" }, "drop folder"), ".") : "");
      start.disabled = true;
      showError(error);
    } finally {
      if (asked === state.asked) check.setAttribute("aria-busy", "false");
    }
  }

  function choose(column, fieldName) {
    state.overrides[column] = fieldName;
    state.key = idempotencyKey(); // another mapping is another batch
    preflight();
  }

  function take(file) {
    if (!file) return;
    state.file = file;
    state.overrides = {};
    start.disabled = true;
    state.key = idempotencyKey();
    results.replaceChildren();
    chosen.textContent = `Chosen: ${file.name} (${count(file.size)} bytes)`;
    preflight();
  }

  fileInput.addEventListener("change", () => take(fileInput.files[0]));
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("dragging");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("dragging");
    take(event.dataTransfer.files[0]);
  });
  // Typing asks again after a pause; a choice asks at once. Start stays usable meanwhile, so a
  // click that follows typing is never lost to a button disabled on the way.
  let typing = null;
  for (const input of Object.values(options)) {
    const typed = input.type === "text" || input.type === "number";
    input.addEventListener(typed ? "input" : "change", () => {
      state.key = idempotencyKey();
      clearTimeout(typing);
      if (typed) typing = setTimeout(preflight, 400);
      else preflight();
    });
  }

  start.addEventListener("click", async () => {
    start.disabled = true;
    status.textContent = "Starting…";
    try {
      const batch = await post("/v1/batches", { form: formData(state, options),
                                                headers: { "Idempotency-Key": state.key } });
      refreshBalance();
      go(`#/batches/${encodeURIComponent(batch.batch_id)}`);
    } catch (error) {
      showError(error);
      status.textContent = "The batch did not start: see the message above.";
      start.disabled = false;
    }
  });

  const settings = h("details", { class: "panel options" }, h("summary", {}, "Options: mode, entity type, limits"),
    h("div", { class: "fields" },
      field("mode", "Mode", options.mode),
      field("entity_type", "Records are", options.entity_type, "Inferred: read from the columns."),
      field("row_limit", "Row limit", options.row_limit, "Enrich at most this many rows."),
      field("max_credits", "Credit cap", options.max_credits, "The batch pauses rather than spend more."),
      field("max_failed_percent", "Most failed rows (%)", options.max_failed_percent,
        "0 to 100. Once more of the rows failed, the batch stops as failed: rows not processed by then "
        + "cost nothing, and you can enrich the failed rows again. Empty: it never stops for failures."),
      field("webhook_id", "Webhook endpoint", options.webhook_id,
        "Hears this batch's events (completed, failed, paused, cancelled) it subscribed to."),
      field("default_country", "Phone region", options.default_country,
        "Two letters (US, GB, DE…) for numbers written without a country code."),
      h("div", { class: "field check" }, options.dedupe, h("label", { for: "dedupe" }, "Skip duplicate rows")),
      h("div", { class: "field check" }, options.auto_resume,
        h("label", { for: "auto_resume" }, "Resume by itself after a top-up")),
      h("div", { class: "field check" }, options.escape_formulas,
        h("label", { for: "escape_formulas" }, "Neutralize cells a spreadsheet would run as formulas"))));
  endpointChoices(options.webhook_id, signal);
  page("New batch", h("div", { class: "panel" }, drop,
    field("name", "Batch name", options.name, "Defaults to the file's name.")), settings, check);
}
