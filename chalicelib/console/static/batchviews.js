// The batch page's cards, drawn from a status body or a preview: numbers only.
import { count, h } from "./dom.js";

// The results files: status body key, file name, what it holds.
export const FILES = [
  ["csv", "results.csv", "every row of the file with its enrichment, in input order"],
  ["jsonl", "rows.jsonl", "the same rows as JSON lines, nested"],
  ["credits_csv", "credits.csv", "one line per charged row"],
  ["errors_csv", "errors.csv", "failed and skipped rows with their reasons"],
  ["summary", "summary.json", "the totals of these files"],
];

function card(label, value, key) {
  return h("div", { class: "card", "data-count": key },
    h("p", { class: "card-label" }, label), h("p", { class: "card-value" }, value));
}

export function countCards(batch) {
  const c = batch.counts;
  return [
    card("Total", count(c.total), "total"),
    card("Matched", count(c.completed), "completed"),
    card("Not found", count(c.not_found), "not_found"),
    card("Failed", count(c.failed), "failed"),
    card("Skipped", count(c.skipped), "skipped"),
    card("Parked", count(c.parked), "parked"),
    card("In progress", count((c.queued || 0) + (c.processing || 0)), "in_progress"),
  ];
}

export function creditCards(batch) {
  const rate = batch.success_rate === null ? "–" : `${Math.round(batch.success_rate * 100)}%`;
  return [
    card("Spent", count(batch.credits_spent), "credits_spent"),
    card("Cap", batch.max_credits === null ? "none" : count(batch.max_credits), "max_credits"),
    card("Per match", count(batch.price_per_match), "price_per_match"),
    card("Success rate", rate, "success_rate"),
  ];
}

// What the enrichers found, as counts (GET …/preview never holds a value from the file).
export function foundList(preview) {
  const entries = Object.entries(preview.found || {});
  if (!entries.length) return h("p", { class: "hint" }, "Nothing found yet.");
  return h("div", { class: "cards" },
    entries.map(([what, n]) => card(`${what[0].toUpperCase()}${what.slice(1)}`, count(n), `found_${what}`)));
}
