// The drop folder page: where this tenant puts files so that they start batches, and where the
// answers appear (GET /v1/drop-folder). Drop-folder batches are in the batches list like any other.
import { get } from "./api.js";
import { count, h, page, showError } from "./dom.js";

const code = (text) => h("code", {}, text);
const GB = 1024 ** 3;
const size = (bytes) => (bytes >= GB ? `${count(Math.round((bytes / GB) * 10) / 10)} GB`
  : `${count(Math.max(1, Math.floor(bytes / 1024 ** 2)))} MB`);

function dropIn(folders) {
  const example = `${folders.inbox}q4/leads.csv`;
  return h("section", { class: "panel", "aria-labelledby": "drop-in" },
    h("h2", { id: "drop-in" }, "Drop a file"),
    h("p", {}, "A CSV created below ", code(folders.inbox), " starts a batch: any size up to ",
      `${size(folders.max_file_bytes)} and ${count(folders.max_rows_per_file)} rows. `
      + "Your AWS identity needs your operator's leave to write there."),
    h("pre", { id: "drop-command" }, code(`aws s3 cp leads.csv ${example}`)),
    h("p", {}, "Its options (those of a new batch, as JSON) come from a ",
      code(`NAME.csv${folders.sidecar_suffix}`), " file put just before it, or from the file's metadata: ",
      code("--metadata name=Q4,max-credits=500"), "."));
}

function answers(folders) {
  return h("section", { class: "panel", "aria-labelledby": "drop-out" },
    h("h2", { id: "drop-out" }, "Read the answers"),
    h("p", {}, "Below ", code(folders.outbox), ", at the same path as the file: ", code("NAME.status.json"),
      " (the batch's status, rewritten at each change, or why nothing started), then ",
      code("NAME.enriched.csv"), ", ", code("NAME.credits.csv"), " and ", code("NAME.errors.csv"), "."),
    h("pre", { id: "drop-answers" }, code(`aws s3 sync ${folders.outbox} answers/`)),
    h("p", {}, "Drop-folder batches are batches like any other: they are in ",
      h("a", { href: "#/batches" }, "the batches list"), " with their progress, credits and results. "
      + "Files that schedules read go below ", code(folders.sources), "."));
}

export async function dropFolderPage({ signal }) {
  const slot = h("div", { id: "drop-folder", "aria-busy": "true" });
  page("Drop folder", slot);
  try {
    const folders = await get("/v1/drop-folder");
    if (signal.aborted) return;
    slot.replaceChildren(dropIn(folders), answers(folders));
  } catch (error) {
    if (!signal.aborted) showError(error);
  } finally {
    slot.setAttribute("aria-busy", "false");
  }
}
