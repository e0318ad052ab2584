// Calls to frappyauth's JSON endpoints, with the session cookie. The token in a login answer is never
// kept: the HttpOnly cookie carries the session, so no script (ours or an injected one) can read it.

import {t, tn} from "./i18n.js";

const base = location.pathname.replace(/\/console\/.*$/, "");
const busy = document.getElementById("busy");
let pending = 0;

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function showBusy(delta) {
  pending += delta;
  busy.hidden = pending === 0;
  document.body.setAttribute("aria-busy", String(pending > 0));
  for (const button of document.querySelectorAll("button")) button.disabled = pending > 0;
}

export async function call(method, path, body) {
  const init = {method, credentials: "same-origin", headers: {Accept: "application/json"}};
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  showBusy(1);
  try {
    let response;
    try {
      response = await fetch(base + path, init);
    } catch (error) {
      throw new ApiError(0, "network", t("The server cannot be reached. Check the connection and try again."));
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const wait = Number(response.headers.get("Retry-After")) || null;
      throw new ApiError(response.status, answer.error || "error", answer.message || response.statusText, wait);
    }
    return answer;
  } finally {
    showBusy(-1);
  }
}

// Whether this server serves `path` (as its OpenAPI document writes it: "/passkeys",
// "/users/{userId}/keys"). The document lists only what the options turn on; asking an endpoint that is off
// would answer 404, which the browser logs as an error.
let served = null;

export async function offers(path) {
  if (served === null) {
    served = call("GET", "/openapi.json").then((document) => {
      const paths = Object.keys(document.paths);
      const prefix = paths.find((name) => name.endsWith("/openapi.json")).slice(0, -"/openapi.json".length);
      return new Set(paths.map((name) => name.slice(prefix.length)));
    });
    served.catch(() => { served = null; });  // a failure is not remembered: the next view asks again
  }
  return (await served).has(path);
}

export function waitText(seconds) {
  if (!seconds) return t("a moment");
  if (seconds < 90) return tn("{count} second", "{count} seconds", seconds);
  return tn("{count} minute", "{count} minutes", Math.ceil(seconds / 60));
}

// What to tell a person for each kind of refusal; `context` says what they were doing.
export function explain(error, context) {
  if (!(error instanceof ApiError)) return String(error);
  switch (error.status) {
    case 401:
      if (error.code === "invalid_mfa_code") return t("The code is wrong.");
      if (error.code === "invalid_mfa_token") return t("This sign-in took too long: enter your password again.");
      return context === "sign-in" ? t("Wrong username or password.") : t("Your session has ended: please sign in again.");
    case 403:
      return t("Not allowed: {reason}", {reason: error.message});
    case 429:
      return t("Too many failed attempts. Try again in {wait}.", {wait: waitText(error.retryAfter)});
    case 503:
      return t("The user store is unavailable. Try again in {wait}.", {wait: waitText(error.retryAfter)});
    case 409:
      if (error.code === "last_admin") {
        return t("This is the last administrator: give another user the admin permission first, " +
          "so that someone can still manage users.");
      }
      return error.message;
    default:
      return error.message;
  }
}
