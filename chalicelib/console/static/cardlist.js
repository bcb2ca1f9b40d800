// A list of cards read from the API (webhooks, schedules): drawn again after every change.
import { get } from "./api.js";
import { h, showError } from "./dom.js";

// Read `path`, draw one card per item of `field` (or the `empty` line); errors show as the API's.
export async function loadCards(list, { path, field, card, empty, signal }) {
  list.setAttribute("aria-busy", "true");
  try {
    const found = await get(path);
    if (signal.aborted) return;
    const items = found[field];
    list.replaceChildren(...(items.length ? items.map(card) : [h("li", { class: "empty" }, empty)]));
  } catch (error) {
    if (!signal.aborted) showError(error);
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}
