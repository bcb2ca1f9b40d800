// A batch's timeline (GET …/timeline): its steps in order with the credits each charged.
// Counts, codes and credits only: a step's details are picked by name, never shown wholesale.
import { get } from "./api.js";
import { count, h, when } from "./dom.js";

const WORDS = {
  created: "Created", split: "Split into chunks", charged: "Rows charged", paused: "Paused",
  topped_up: "Topped up", resumed: "Resumed", reprocess: "Reprocess started",
  completed: "Completed", failed: "Failed", cancelled: "Cancelled",
};
const PAUSES = { balance: "out of credits", cap: "the credit cap was reached" };
const RESUMERS = { customer: "by a resume", top_up: "by the top-up", tick: "by itself" };
const FINAL = new Set(["completed", "failed", "cancelled"]);

function facts(step) {
  const said = [];
  const rows = (n, one, many) => (n === undefined ? null : `${count(n)} ${n === 1 ? one : many}`);
  if (step.step === "charged") {
    said.push(rows(step.rows, "row matched", "rows matched"), rows(step.parts, "chunk part", "chunk parts"));
  }
  if (step.step === "split") said.push(rows(step.rows, "row", "rows"), rows(step.chunks, "chunk", "chunks"));
  if (step.step === "paused") {
    said.push(PAUSES[step.reason] || step.reason, rows(step.rows, "row parked", "rows parked"));
  }
  if (step.step === "resumed") said.push(RESUMERS[step.by] || step.by);
  if (step.step === "reprocess") said.push(rows(step.rows, "row to enrich again", "rows to enrich again"));
  if (step.step === "topped_up") said.push(step.amount === undefined ? null : `+${count(step.amount)} credits`);
  if (step.step === "created" && step.price !== undefined) said.push(`${count(step.price)} per matched row`);
  if (step.balance !== undefined && step.balance !== null) said.push(`balance ${count(step.balance)}`);
  return said.filter(Boolean);
}

function stepItem(step) {
  const at = step.until && step.until !== step.at ? `${when(step.at)} – ${when(step.until)}` : when(step.at);
  return h("li", { class: `step step-${step.step}`, "data-step": step.step },
    h("p", { class: "step-head" },
      h("span", { class: "step-name" }, WORDS[step.step] || step.step),
      h("span", { class: "step-credits" }, h("span", { "data-credits": step.credits }, count(step.credits)),
        " credits")),
    h("p", { class: "step-facts" }, [at, ...facts(step), `${count(step.credits_spent)} spent so far`].join(" · ")));
}

// The timeline's section; ``show(batch)`` reads it again (after a change the status body saw).
export function timelineSection() {
  const list = h("ol", { class: "timeline", id: "timeline", "aria-busy": "true" });
  const total = h("p", { class: "hint", id: "timeline-total" });
  const section = h("section", { "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, "Timeline"), list, total);
  let asked = 0;
  let retry = null;

  async function show(path, batch, tries = 3) {
    clearTimeout(retry);
    const mine = ++asked;
    try {
      const found = await get(`${path}/timeline`);
      if (mine !== asked) return;
      list.replaceChildren(...found.steps.map(stepItem));
      total.textContent = `The steps add up to ${count(found.credits_spent)} credits spent.`;
      list.setAttribute("aria-busy", "false");
      // A batch's last step is written just after its status: ask again until it shows.
      const last = found.steps.filter((s) => s.step !== "charged").pop();
      if (FINAL.has(batch.status) && (!last || last.step !== batch.status) && tries > 0) {
        retry = setTimeout(() => show(path, batch, tries - 1), 1000);
      }
    } catch {
      // the status call reports errors; the timeline is an extra
    }
  }
  return { section, show, stop: () => clearTimeout(retry) };
}
