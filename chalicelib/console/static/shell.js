// What every view shares beyond the DOM helpers: moving to another view, the balance in the header.
import { apiKey, get } from "./api.js";
import { count } from "./dom.js";

// Show another view (the router listens for the change; the same view is drawn again).
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

// The tenant's balance in the header, read again after anything that may change it.
export async function refreshBalance() {
  const balance = document.getElementById("balance");
  if (!apiKey()) {
    balance.textContent = "";
    return;
  }
  try {
    const credits = await get("/v1/credits");
    balance.textContent = `Credits: ${count(credits.balance)}`;
  } catch {
    balance.textContent = ""; // the view's own call shows the error
  }
}
