// The REST API as the console uses it: the same routes, key and error shape as any customer.
const KEY = "batch-enrich.api-key";

// The API's root: the page is served at <root>/console (on API Gateway <root> holds the stage).
export const root = location.pathname.replace(/\/console(\/.*)?$/, "");

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function keepKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

// An answer that was not a success, carrying the API's own message.
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body || {};
    this.requestId = this.body.request_id || null;
    this.retryAfter = Number(this.body.retry_after) || null;
  }
}

async function errorOf(answer) {
  const text = await answer.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (body && typeof body.message === "string" && body.message) {
    const retry = Number(answer.headers.get("Retry-After")) || body.retry_after;
    return new ApiError(answer.status, body.message, { ...body, retry_after: retry });
  }
  const excerpt = text.trim().slice(0, 300) || answer.statusText || "no body";
  return new ApiError(answer.status, `The API answered ${answer.status}: ${excerpt}`, body);
}

// One call: method, path under the root, optional JSON or FormData body and extra headers.
export async function call(method, path, { json, form, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  const key = apiKey();
  if (key) sent.Authorization = `Bearer ${key}`;
  let body;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser writes the multipart boundary
  }
  let answer;
  try {
    answer = await fetch(root + path, { method, headers: sent, body, cache: "no-store" });
  } catch (failure) {
    throw new ApiError(0, `Could not reach the API (${failure.message}). Check the connection and retry.`);
  }
  if (!answer.ok) throw await errorOf(answer);
  const text = await answer.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path) => call("GET", path);
export const post = (path, options) => call("POST", path, options);

// A results file: the API mints a presigned link (JSON instead of its 302), the browser follows it.
export async function download(path) {
  const link = await call("GET", path);
  const anchor = document.createElement("a");
  anchor.href = link.url;
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  return link;
}

// A fresh Idempotency-Key, so a double click or a retried request starts one batch only.
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
