// What a preflight found, drawn: counts, skipped rows by reason, cost, warnings, and the columns
// with a field chooser each. Counts and header names only: no cell of the file is ever shown.
import { count, h } from "./dom.js";

export const FIELDS = ["id", "first_name", "last_name", "full_name", "email", "phone", "company",
  "domain", "website", "linkedin", "street", "city", "state", "zip", "country", "handle", "platform"];

const REASONS = {
  duplicate: "Duplicate of an earlier row",
  over_row_limit: "Beyond the row limit",
  over_max_rows: "Beyond the most rows a batch takes",
  row_too_large: "Row too large",
};

function reasonWords(code) {
  const missing = /^missing_(\w+)_fields$/.exec(code);
  if (missing) return `Missing what a ${missing[1]} row needs`;
  return REASONS[code] || code.replaceAll("_", " ");
}

function how(column) {
  const score = column.score === null || column.score === undefined ? "" : ` (${Math.round(column.score * 100)}%)`;
  return {
    explicit: column.field ? "your choice" : "left unused by you",
    cached: "as in your last file with these columns",
    synonym: "by its name",
    fuzzy: `by a name close to it${score}`,
    content: `by its values${score}`,
    unmapped: "not used",
  }[column.how] || column.how;
}

function card(label, value, note) {
  return h("div", { class: "card" }, h("p", { class: "card-label" }, label),
    h("p", { class: "card-value" }, value), note ? h("p", { class: "card-note" }, note) : null);
}

export function summary(found) {
  const cost = found.cost_estimate;
  return h("div", { class: "cards", id: "preflight-counts" },
    card("Rows", count(found.rows)),
    card("Usable", count(found.usable)),
    card("Skipped", count(found.skipped)),
    card("Duplicates", count(found.duplicates)),
    card("Ragged rows", count(found.ragged_rows.count)),
    card("Cost (credits)", `${count(cost.min)}–${count(cost.max)}`,
      `${count(cost.price_per_match)} per matched row`));
}

export function details(found) {
  const reasons = Object.entries(found.skipped_by_reason || {});
  return h("div", { class: "preflight-details" },
    h("p", {}, "Read as ", h("strong", {}, found.entity_type || "–"), " records."),
    reasons.length
      ? h("div", {}, h("h3", {}, "Skipped rows by reason"),
          h("ul", { id: "skipped-reasons" }, reasons.map(([code, n]) =>
            h("li", { "data-reason": code }, `${reasonWords(code)}: ${count(n)}`))))
      : null,
    found.warnings.length
      ? h("div", { class: "warnings" }, h("h3", {}, "Warnings"),
          h("ul", { id: "warnings" }, found.warnings.map((text) => h("li", {}, text))))
      : null);
}

// The columns as a table; onChoose(column, field or null) when the user picks another field.
export function mappingTable(mapping, overrides, onChoose) {
  const rows = mapping.columns.map((column) => {
    const id = `field-${column.index}`;
    const select = h("select", { id, "data-column": column.column },
      h("option", { value: "" }, "— not used —"),
      FIELDS.map((name) => h("option", { value: name, selected: column.field === name }, name)));
    select.addEventListener("change", () => onChoose(column.column, select.value || null));
    const changed = Object.hasOwn(overrides, column.column);
    return h("tr", { class: changed ? "changed" : null },
      h("th", { scope: "row" }, h("label", { for: id }, column.column)),
      h("td", {}, select),
      h("td", { class: "how" }, how(column)));
  });
  return h("table", { class: "mapping", id: "mapping" },
    h("caption", {}, mapping.has_header
      ? "Each column of the file and the field it is read as. Unused columns are kept as they are."
      : "The file has no header row: its columns are numbered."),
    h("colgroup", {}, h("col", { class: "col-name" }), h("col", { class: "col-field" }), h("col", {})),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Column"),
      h("th", { scope: "col" }, "Read as"), h("th", { scope: "col" }, "Why"))),
    h("tbody", {}, rows));
}
