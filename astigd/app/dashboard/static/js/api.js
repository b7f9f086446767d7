// The dashboard's only way to the service: /api/v1 over HTTP and WebSocket, with the stored key.

const KEY_NAME = "astigd.apiKey";
const BASE = "/api/v1";

export const storedKey = () => sessionStorage.getItem(KEY_NAME);
export const storeKey = (key) => sessionStorage.setItem(KEY_NAME, key);
export const forgetKey = () => sessionStorage.removeItem(KEY_NAME);

/** An error answer of the API, with its `detail` worded as the API worded it. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(describeDetail(detail) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

/** Return FastAPI's `detail` (text, or a list of {loc, msg}) as readable lines. */
export function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return detail ? JSON.stringify(detail) : "";
  return detail
    .map((item) => {
      const where = (item.loc || []).filter((part) => part !== "body").join(" → ");
      return where ? `${where}: ${item.msg}` : item.msg;
    })
    .join("\n");
}

function headers(key, extra = {}) {
  return { Authorization: `Bearer ${key ?? storedKey()}`, ...extra };
}

async function send(path, { method = "GET", body, key, accept = "application/json" } = {}) {
  const options = { method, headers: headers(key, { Accept: accept }) };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(BASE + path, options);
  if (!response.ok) {
    let detail = null;
    try {
      detail = (await response.json()).detail;
    } catch {
      detail = response.statusText;
    }
    throw new ApiError(response.status, detail);
  }
  return response;
}

/** GET (or another method with a JSON body) and return the JSON answer; throws ApiError. */
export async function api(path, options = {}) {
  return (await send(path, options)).json();
}

/** GET a binary answer (a PNG) and return it as a Blob; throws ApiError. */
export async function apiBlob(path) {
  return (await send(path, { accept: "image/png" })).blob();
}

/** Return a query string from the defined values of an object. */
export function query(values) {
  const pairs = Object.entries(values).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}

/** Open the job's event WebSocket (the key goes in the query: browsers cannot set headers). */
export function jobSocket(jobId, afterSeq = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const params = query({ api_key: storedKey(), after_seq: afterSeq });
  return new WebSocket(`${scheme}://${location.host}${BASE}/ws/jobs/${jobId}${params}`);
}
