// The tenant's webhook endpoints as choices of a batch's (or a schedule's batches') endpoint.
import { get } from "./api.js";
import { h } from "./dom.js";

// Append the endpoints that hear batch events to `chooser` (which keeps its "None" choice);
// `chosen` is selected once it is there.
export async function endpointChoices(chooser, signal, chosen = "") {
  try {
    const found = await get("/v1/webhooks");
    if (signal.aborted) return;
    const heard = found.webhooks.filter((e) => e.events.some((event) => event.startsWith("batch.")));
    chooser.append(...heard.map((e) => h("option", { value: e.webhook_id, selected: e.webhook_id === chosen },
      e.description || e.url)));
  } catch {
    // the chooser keeps "None"; the create would say what is wrong
  }
}
