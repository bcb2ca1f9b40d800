// The drop folder page: where to put files so that they start batches, and where answers go.
// The API exposes no list of drop-folder batches, so this page is the instructions.
import { h, page } from "./dom.js";

const code = (text) => h("code", {}, text);

export function dropFolderPage() {
  page("Drop folder",
    h("section", { class: "panel", "aria-labelledby": "drop-in" },
      h("h2", { id: "drop-in" }, "Drop a file"),
      h("p", {}, "A CSV put under ", code("inbox/YOUR_TENANT_ID/"), " in the service's bucket starts a batch, "
        + "with no size limit but S3's and up to 20,000,000 rows. Ask your operator for the bucket and your tenant id."),
      h("pre", {}, code("aws s3 cp leads.csv s3://BUCKET/inbox/YOUR_TENANT_ID/q4/leads.csv")),
      h("p", {}, "Options (those of a new batch) come from a ", code("NAME.csv.json"), " file uploaded just before it, "
        + "or from the file's metadata: ", code("x-amz-meta-name"), ", ", code("x-amz-meta-max-credits"), " …")),
    h("section", { class: "panel", "aria-labelledby": "drop-out" },
      h("h2", { id: "drop-out" }, "Read the answers"),
      h("p", {}, "Under ", code("outbox/YOUR_TENANT_ID/"), " at the same path: ", code("NAME.status.json"),
        " (the batch's status, rewritten at each change, or why nothing started), then ",
        code("NAME.enriched.csv"), ", ", code("NAME.credits.csv"), " and ", code("NAME.errors.csv"), "."),
      h("p", {}, "Drop-folder batches are batches like any other: they are in ",
        h("a", { href: "#/batches" }, "the batches list"), " with their progress, credits and results.")));
}
