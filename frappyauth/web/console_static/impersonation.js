// Impersonation in the console (option `impersonation` on the server): starting it from a user's detail,
// with a reason, and the banner with its "end" button while it lasts. The session is the cookie's, as any
// other: the script never sees a token, so ending it signs this browser out.

import {call, offers} from "./api.js";
import {$, when} from "./dom.js";
import {t} from "./i18n.js";

const shell = {fail: null, signedIn: null, signedOut: null};
let target = null;

// Called when an administrator opens a user's detail.
export async function offerImpersonation(user) {
  target = user;
  $("impersonate-reason").value = "";
  $("impersonate-form").hidden = !(await offers("/users/{userId}/impersonate"));
}

// Shows the banner when this browser's session is an impersonation; returns whether it is.
export async function showImpersonation(user) {
  let state = {impersonating: false};
  if (await offers("/impersonation")) state = await call("GET", "/impersonation");
  $("impersonation-banner").hidden = !state.impersonating;
  if (state.impersonating) {
    $("impersonation-text").textContent = t(
      "You are acting as {name} until {until}. Every request is recorded, and {name} can see it.",
      {name: user.username, until: when(state.expiresAt)});
  }
  return state.impersonating;
}

export function hideImpersonation() {
  $("impersonation-banner").hidden = true;
  $("impersonation-text").textContent = "";
  target = null;
}

async function impersonate(event) {
  event.preventDefault();
  const reason = $("impersonate-reason").value;
  try {
    const answer = await call("POST", `/users/${target.id}/impersonate`, {reason});
    $("impersonate-reason").value = "";
    await shell.signedIn(answer.user);
  } catch (error) {
    shell.fail(error, "users");
  }
}

async function end() {
  try {
    await call("DELETE", "/impersonation");
  } catch (error) {
    if (error.status !== 401) return shell.fail(error, "impersonation");
  }
  shell.signedOut(t("Impersonation ended. Sign in again to go on as yourself."));
}

export function setUpImpersonation(hooks) {
  Object.assign(shell, hooks);
  $("impersonate-form").addEventListener("submit", impersonate);
  $("impersonation-end").addEventListener("click", end);
}
