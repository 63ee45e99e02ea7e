// HTTP client for the chatbi API (DESIGN.md section 5). URLs are derived from this script's own URL, so the
// page and the widget work under a path prefix (e.g. /chatbi/) and from any origin that frames them.
// The widget's token arrives in the iframe URL's fragment (never sent to a server, never logged) and is
// sent as `Authorization: Bearer`.

const scriptUrl = document.currentScript ? document.currentScript.src : location.href;
const base = new URL(".", scriptUrl);
let token = null;

/** Take the token (and nothing else) out of the URL fragment, and scrub it from the address. */
export function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("token")) {
    token = params.get("token") || null;
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  return token !== null;
}

export function setToken(value) {
  token = value || null;
}

export function hasToken() {
  return token !== null;
}

export function apiUrl(path) {
  return new URL(`api/${path}`, base).toString();
}

/** An error the server (or the network) reported, with the message to show. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "network", suggestions = [] } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.suggestions = suggestions;
  }
}

function headers(extra = {}) {
  const result = { Accept: "application/json", ...extra };
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

/** Turn a non-2xx response into an ApiError carrying the server's `{"error": {message}}`. */
export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall back to the status text
  }
  const error = body && body.error ? body.error : null;
  const detail = body && typeof body.detail === "string" ? body.detail : null;
  return new ApiError((error && error.message) || detail || `HTTP ${response.status} ${response.statusText}`, {
    status: response.status,
    code: (error && error.code) || `http_${response.status}`,
    suggestions: (error && Array.isArray(error.suggestions) && error.suggestions) || [],
  });
}

async function request(method, path, body, { signal } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (cause) {
    if (cause && cause.name === "AbortError") throw cause;
    throw new ApiError("", { code: "network" });
  }
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

export const api = {
  catalog: (lang) => request("GET", `catalog?lang=${encodeURIComponent(lang)}`),
  ask: (body, options) => request("POST", "ask", body, options),
  conversation: (id) => request("GET", `conversations/${encodeURIComponent(id)}`),
  feedback: (body) => request("POST", "feedback", body),
  /** POST /api/ask/stream; resolves to the fetch Response (the caller reads the event stream). */
  async stream(body, { signal } = {}) {
    try {
      return await fetch(apiUrl("ask/stream"), {
        method: "POST",
        headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
        body: JSON.stringify(body),
        credentials: "same-origin",
        signal,
      });
    } catch (cause) {
      if (cause && cause.name === "AbortError") throw cause;
      throw new ApiError("", { code: "network" });
    }
  },
};
