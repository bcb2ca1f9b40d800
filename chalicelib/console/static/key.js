// The key page: paste an API key; it lives in this tab's session storage only.
import { forgetKey, get, keepKey } from "./api.js";
import { clearError, h, page, showError } from "./dom.js";
import { go } from "./shell.js";

export function keyPage(next) {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", required: true,
                             autocomplete: "off", spellcheck: "false", "aria-describedby": "key-help" });
  const button = h("button", { type: "submit", class: "primary" }, "Open the console");
  const form = h("form", { class: "panel narrow", novalidate: true },
    h("label", { for: "api-key" }, "API key"),
    input,
    h("p", { id: "key-help", class: "hint" },
      "The key stays in this browser tab (session storage) and is sent only to this API, ",
      "as Authorization: Bearer. Closing the tab forgets it."),
    button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      showError({ message: "Paste the API key your administrator gave you." });
      input.focus();
      return;
    }
    clearError();
    button.disabled = true;
    keepKey(key);
    try {
      await get("/v1/credits"); // the cheapest call that proves the key
      go(next);
    } catch (error) {
      forgetKey();
      showError(error);
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  page("Open the console", form);
  input.focus();
}
