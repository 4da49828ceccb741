// The one module that talks to the server: /v1 calls, the API key, error envelopes.
// The key lives in sessionStorage for this tab only and travels as a header, never in a URL.

const KEY = "imgsearch.key";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || `Http${status}`;
  }
}

// Set by the page: shows the key dialog, resolves to a key (or null: the user gave up).
// `rejected`: a key was sent and the server refused it (rotated, mistyped).
let askKey = async () => null;

export function onKeyNeeded(ask) {
  askKey = ask;
}

export function hasKey() {
  return Boolean(sessionStorage.getItem(KEY));
}

async function send(method, path, body, { signal = undefined } = {}) {
  const headers = {};
  const key = sessionStorage.getItem(KEY);
  if (key) headers["Ocp-Apim-Subscription-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    priority: method === "GET" ? "auto" : "high", // a search goes ahead of queued thumbnails
    signal,
  });
  if (response.status === 401) {
    // asked again until a key works or the user cancels the dialog
    sessionStorage.removeItem(KEY);
    const entered = await askKey(Boolean(key));
    if (entered) {
      sessionStorage.setItem(KEY, entered);
      return send(method, path, body, { signal });
    }
  }
  return response;
}

// `signal`: an AbortController's, to drop a call whose answer nobody waits for any more
// (the fetch then rejects with an AbortError).
export async function call(method, path, body, { signal = undefined } = {}) {
  const response = await send(method, path, body, { signal });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

// A file the API makes (an export, a zip), as a Blob to save.
export async function fetchBlob(method, path, body) {
  const response = await send(method, path, body);
  if (!response.ok) throw await failure(response);
  return response.blob();
}

async function failure(response) {
  let error = null;
  try {
    error = (await response.json()).error;
  } catch {
    // not our envelope: fall through with the status alone
  }
  return new ApiError(response.status, error && error.code, error && error.message);
}

// An image the API serves (thumbnail or file), as a URL an <img> can show. Without a key
// that is the API URL itself (cacheable); with one, the bytes are fetched with the key
// header and shown from a blob: URL.
export async function imageSource(path) {
  if (!hasKey()) return path;
  const response = await send("GET", path);
  if (!response.ok) throw new ApiError(response.status, null, null);
  return URL.createObjectURL(await response.blob());
}
