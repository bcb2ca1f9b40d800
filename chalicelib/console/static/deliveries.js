// A batch's webhook deliveries (GET …/webhooks): each event, its attempts, and "send again".
import { get, post } from "./api.js";
import { count, h, showError, when } from "./dom.js";

function attemptLine(attempt) {
  const answer = attempt.status_code ? `HTTP ${attempt.status_code}` : attempt.error || "no answer";
  return h("li", {}, `${when(attempt.at)} · attempt ${count(attempt.attempt)} · ${answer}`
    + (attempt.duration_ms === null || attempt.duration_ms === undefined ? "" : ` · ${count(attempt.duration_ms)} ms`));
}

function deliveryItem(delivery, again) {
  const button = h("button", { type: "button", class: "link-button", "data-redeliver": delivery.delivery_id },
    "Send again");
  button.addEventListener("click", () => again(delivery));
  const next = delivery.next_attempt_at ? ` · next attempt ${when(delivery.next_attempt_at * 1000)}` : "";
  return h("li", { class: "step", "data-delivery": delivery.delivery_id, "data-status": delivery.status },
    h("p", { class: "step-head" }, h("span", { class: "step-name" }, `${delivery.event_type} → ${delivery.url}`),
      h("span", { class: "step-credits" }, delivery.status)),
    h("p", { class: "step-facts" }, `${when(delivery.created_at)} · ${count(delivery.attempts_made)} attempts${next}`),
    h("ul", { class: "attempts" }, delivery.attempts.map(attemptLine)), button);
}

const FINAL = new Set(["completed", "failed", "cancelled"]);
const AGAIN_MS = 4000;

// The deliveries' section, hidden while the batch has none; ``show(path, batch)`` reads them
// again, and keeps reading while one is on its way or a finished batch's event is not out yet.
export function deliveriesSection() {
  const list = h("ol", { class: "timeline", id: "deliveries" });
  const section = h("section", { "aria-labelledby": "deliveries-title", hidden: true },
    h("h2", { id: "deliveries-title" }, "Webhook deliveries"), list);
  let path = null;
  let last = null;
  let timer = null;
  let waits = 0;

  async function again(delivery) {
    try {
      await post(`/v1/webhooks/deliveries/${encodeURIComponent(delivery.delivery_id)}/redeliver`);
      show(path, last);
    } catch (error) {
      showError(error);
    }
  }

  async function show(batchPath, batch) {
    clearTimeout(timer);
    path = batchPath;
    last = batch;
    if (!batch.webhook_id && !batch.webhook_url) return; // nobody hears this batch
    try {
      const found = await get(`${batchPath}/webhooks`);
      list.replaceChildren(...found.deliveries.map((delivery) => deliveryItem(delivery, again)));
      section.hidden = !found.deliveries.length;
      const moving = found.deliveries.some((delivery) => delivery.status === "pending");
      const awaited = FINAL.has(batch.status) && !found.deliveries.length && waits++ < 5;
      if (moving || awaited) timer = setTimeout(() => show(batchPath, batch), AGAIN_MS);
    } catch {
      // the status call reports errors; the deliveries are an extra
    }
  }
  return { section, show, stop: () => clearTimeout(timer) };
}
