// The webhooks page: the tenant's endpoints, a new one (its secret shown this once), a new secret
// for one (shown once too), removal.
import { call, post } from "./api.js";
import { loadCards } from "./cardlist.js";
import { clearError, h, page, showError, when } from "./dom.js";

// The events an endpoint can hear, as the API names them.
const EVENTS = [
  ["batch.completed", "A batch completed"], ["batch.failed", "A batch failed"],
  ["batch.paused", "A batch paused (credits or cap)"], ["batch.cancelled", "A batch was cancelled"],
  ["credits.low", "The balance fell below the low-credits threshold"],
];

function endpointCard(endpoint, { remove, rotate }) {
  const named = endpoint.description || endpoint.url;
  const removing = h("button", { type: "button", "data-remove": endpoint.webhook_id,
                                 "aria-label": `Remove ${named}` }, "Remove");
  removing.addEventListener("click", () => remove(endpoint));
  const rotating = h("button", { type: "button", "data-rotate": endpoint.webhook_id,
                                 "aria-label": `New secret for ${named}` }, "New secret");
  rotating.addEventListener("click", () => rotate(endpoint));
  const until = endpoint.previous_secret_expires_at;
  return h("li", { class: "batch-card", "data-webhook": endpoint.webhook_id },
    h("div", { class: "batch-card-head" }, h("span", { class: "batch-name" }, endpoint.url)),
    endpoint.description ? h("p", { class: "hint" }, endpoint.description) : null,
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, "Events"), h("dd", {}, endpoint.events.join(", "))),
      h("div", {}, h("dt", {}, "Secret"), h("dd", { "data-secret-hint": "" }, endpoint.secret_hint || "–")),
      h("div", {}, h("dt", {}, "Created"), h("dd", {}, when(endpoint.created_at)))),
    until ? h("p", { class: "hint", "data-grace": "" },
      `The previous secret also signs until ${when(until * 1000)}: switch your receiver before then.`) : null,
    h("div", { class: "actions" }, rotating, removing));
}

function createForm(created) {
  const url = h("input", { id: "webhook-url", type: "url", required: true, maxlength: "2048",
                           autocomplete: "off", placeholder: "https://example.com/hooks/batch-enrich" });
  const description = h("input", { id: "webhook-description", type: "text", maxlength: "256", autocomplete: "off" });
  const boxes = EVENTS.map(([value, text], i) => h("div", { class: "field check" },
    h("input", { id: `event-${i}`, type: "checkbox", value, checked: value !== "credits.low" }),
    h("label", { for: `event-${i}` }, `${text} (${value})`)));
  const form = h("form", { class: "panel", id: "new-webhook" },
    h("h2", {}, "Add an endpoint"),
    h("div", { class: "field" }, h("label", { for: "webhook-url" }, "URL"), url,
      h("p", { class: "hint" }, "http or https, up to 2,048 characters; it must answer 2xx within 10 s.")),
    h("div", { class: "field" }, h("label", { for: "webhook-description" }, "Description"), description),
    h("fieldset", { class: "events" }, h("legend", {}, "Events"), boxes),
    h("button", { type: "submit", class: "primary" }, "Add the endpoint"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const events = boxes.map((box) => box.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
    try {
      const endpoint = await post("/v1/webhooks", { json: { url: url.value.trim(), events,
                                                             description: description.value } });
      url.value = "";
      description.value = "";
      created(endpoint);
    } catch (error) {
      showError(error);
    }
  });
  return form;
}

// The secret of a new endpoint (or an endpoint's new secret): the only time the API shows it.
function secretPanel(endpoint, rotated) {
  return h("div", { class: "notice notice-secret", id: "new-secret", role: "status" },
    h("p", {}, rotated ? "Copy the endpoint's new signing secret now: it is not shown again. "
      : "Copy this signing secret now: it is not shown again. ",
    h("code", { id: "secret-value" }, endpoint.secret)),
    h("p", { class: "hint" }, `Endpoint ${endpoint.url} (${endpoint.webhook_id}). Verify each delivery's `
      + "webhook-signature header with it (Standard Webhooks)."));
}

export function webhooksPage({ signal }) {
  const list = h("ul", { class: "batch-list", id: "webhook-list", "aria-busy": "true" });
  const shown = h("div", { id: "secret-slot" });
  const load = () => loadCards(list, { path: "/v1/webhooks", field: "webhooks", signal,
                                       card: (endpoint) => endpointCard(endpoint, { remove, rotate }),
                                       empty: "No endpoints yet." });

  // An action on an endpoint: the API's message if refused; the list read again after it.
  async function act(action) {
    clearError();
    try {
      await action();
      load();
    } catch (error) {
      showError(error);
    }
  }

  function remove(endpoint) {
    if (!confirm(`Remove the endpoint ${endpoint.url}? It hears no more events.`)) return;
    act(async () => {
      await call("DELETE", `/v1/webhooks/${encodeURIComponent(endpoint.webhook_id)}`);
      shown.replaceChildren();
    });
  }

  function rotate(endpoint) {
    if (!confirm(`Make a new secret for ${endpoint.url}? The current one keeps signing beside it for a grace period (a day unless your operator set another).`)) return;
    act(async () => {
      const rotated = await post(`/v1/webhooks/${encodeURIComponent(endpoint.webhook_id)}/rotate-secret`);
      shown.replaceChildren(secretPanel(rotated, true));
    });
  }

  page("Webhooks", h("p", { class: "hint" },
    "Each endpoint hears the events it chose, signed with its own secret. A batch's deliveries, "
    + "with each attempt and a button to send one again, are on the batch's page."),
  shown, list, createForm((endpoint) => {
    shown.replaceChildren(secretPanel(endpoint, false));
    load();
  }));
  load();
}
