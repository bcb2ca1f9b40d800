// Small DOM helpers: elements built from text only (never HTML strings), the alert, formats.

// h("p", {class: "x", onclick: fn}, "text", child…): an element; children are text or nodes.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function view() {
  return document.getElementById("view");
}

// Draw a page: its title, then its content; focus moves to the title for screen readers.
export function page(title, ...content) {
  const heading = h("h1", { tabindex: "-1", id: "page-title" }, title);
  view().replaceChildren(heading, ...content);
  document.title = `${title} · batch-enrich`;
  heading.focus();
  return heading;
}

// The API's message (or a network failure's) in the alert region, with its request id.
export function showError(error) {
  const alert = document.getElementById("alert");
  const facts = [];
  if (error.status) facts.push(`HTTP ${error.status}`);
  if (error.requestId) facts.push(`request ${error.requestId}`);
  alert.replaceChildren(
    h("p", { class: "alert-message" }, error.message || String(error)),
    facts.length ? h("p", { class: "alert-facts" }, facts.join(" · ")) : null,
  );
  alert.hidden = false;
  alert.scrollIntoView({ block: "nearest" });
}

export function clearError() {
  const alert = document.getElementById("alert");
  alert.hidden = true;
  alert.replaceChildren();
  delete alert.dataset.from;
}

const numbers = new Intl.NumberFormat();
export const count = (n) => (n === null || n === undefined ? "–" : numbers.format(n));

export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export const percent = (share) => `${Math.floor((share || 0) * 100)}%`;

// A status as words and a colour class (the words carry the meaning, the colour only helps).
const STATUS_WORDS = {
  awaiting_upload: "Awaiting upload", validating: "Validating", queued: "Queued",
  processing: "Processing", completed: "Completed", failed: "Failed", cancelled: "Cancelled",
  paused_insufficient_credits: "Paused: out of credits", paused_credit_cap: "Paused: credit cap",
};

export function statusBadge(status) {
  const tone = status.startsWith("paused") ? "paused" : status;
  return h("span", { class: `badge badge-${tone}`, "data-status": status }, STATUS_WORDS[status] || status);
}

// A bar with its value for assistive technology; the label names what it measures.
export function progressBar(label) {
  const fill = h("span", { class: "bar-fill" });
  const bar = h("div", { class: "bar", role: "progressbar", "aria-label": label,
                         "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, fill);
  bar.set = (share) => {
    const value = Math.max(0, Math.min(100, Math.floor((share || 0) * 100)));
    bar.setAttribute("aria-valuenow", String(value));
    fill.style.width = `${value}%`;
  };
  return bar;
}
