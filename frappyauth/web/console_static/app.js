// The console's entry point: which view shows, sign-in and sign-out, and the errors every view shares.

import {call, explain, offers} from "./api.js";
import {$, say} from "./dom.js";
import {loadAccount, setUpAccount} from "./account.js";
import {askSecondFactor, completeSignIn, completeWithPasskey, forgetSecondFactor} from "./mfa.js";
import {loadUsers, setUpUsers} from "./users.js";
import {loadWords, t} from "./i18n.js";
import {returnFromProvider, showProviderButtons} from "./providers.js";
import {forgetAudit, loadAudit, setUpAudit} from "./audit.js";
import {hideImpersonation, setUpImpersonation, showImpersonation} from "./impersonation.js";
import {forgetRoles, loadRoles, setUpRoles} from "./roles.js";

const views = ["sign-in", "users", "roles", "audit", "account"];
const state = {user: null, admin: false, roles: false, audit: false};

function show(view) {
  for (const name of views) $(`view-${name}`).hidden = name !== view;
  $("nav").hidden = view === "sign-in";
  for (const name of ["users", "roles", "audit", "account"]) {
    $(`nav-${name}`).setAttribute("aria-current", String(name === view));
  }
  $("nav-users").hidden = !state.admin;
  $("nav-roles").hidden = !state.roles;
  $("nav-audit").hidden = !state.audit;
}

export async function open(view) {
  if ((view === "users" && !state.admin) || (view === "roles" && !state.roles) ||
    (view === "audit" && !state.audit)) view = "account";
  say("");  // a message belongs to the view it was said in
  show(view);
  if (view === "users") await loadUsers();
  if (view === "roles") await loadRoles();
  if (view === "audit") await loadAudit();
  if (view === "account") await loadAccount(state.user);
}

export function signedOut(text) {
  state.user = null;
  state.admin = false;
  state.roles = false;
  state.audit = false;
  hideImpersonation();
  forgetAudit();
  forgetRoles();
  for (const form of document.forms) form.reset();  // nothing typed stays for the next person at this screen
  $("new-key-value").value = "";
  $("new-key").hidden = true;
  forgetSecondFactor();
  $("recovery-list").replaceChildren();
  $("recovery").hidden = true;
  $("who").textContent = "";
  show("sign-in");
  say(text || "", "info");
  $("sign-in-username").focus();
}

// Every view's failures come here: a 401 means the session is gone, whatever the view was doing.
export function fail(error, context) {
  if (error.status === 401 && context !== "sign-in" && context !== "mfa") signedOut(explain(error, context));
  else say(explain(error, context));
}

// The admin permission's name is an option of the server: asking for the user list tells whether it is held.
async function holdsAdmin() {
  try {
    await call("GET", "/users?page=0");
    return true;
  } catch (error) {
    if (error.status === 403) return false;
    throw error;
  }
}

async function signedIn(user, reloadWords = true) {
  state.user = user;
  if (reloadWords) await loadWords(call);  // the user's profile may choose another language than the browser
  const impersonating = await showImpersonation(user);  // then no admin endpoint is open: none is asked
  state.admin = !impersonating && await holdsAdmin();
  state.roles = state.admin && await offers("/roles");
  state.audit = state.admin && await offers("/audit");
  const name = {name: user.username};
  $("who").textContent = impersonating ? t("Acting as {name}", name) : t("Signed in as {name}", name);
  say("");
  await open(state.admin ? "users" : "account");
}

// After a change to one's own second factor: the user, and whether the admin view is open to them now.
export async function refreshAccount() {
  state.user = await call("GET", "");
  state.admin = await holdsAdmin();
  state.roles = state.admin && await offers("/roles");
  state.audit = state.admin && await offers("/audit");
  show("account");
  await loadAccount(state.user);
}

async function signIn(event) {
  event.preventDefault();
  const username = $("sign-in-username").value;
  const password = $("sign-in-password").value;
  try {
    const answer = await call("POST", "/login", {username, password});
    $("sign-in-password").value = "";
    say("");
    if (answer.mfaRequired) askSecondFactor(answer);
    else await signedIn(answer.user);
  } catch (error) {
    fail(error, "sign-in");
  }
}

async function secondStep(event, complete = completeSignIn) {
  event.preventDefault();
  try {
    await signedIn(await complete());
  } catch (error) {
    fail(error, "mfa");
  }
}

async function signOut() {
  try {
    await call("DELETE", "/logout");
  } catch (error) {
    if (error.status !== 401) return fail(error, "sign-out");
  }
  signedOut(t("You are signed out."));
}

async function start() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("mfa-form").addEventListener("submit", secondStep);
  $("mfa-passkey").addEventListener("click", (event) => secondStep(event, completeWithPasskey));
  $("mfa-cancel").addEventListener("click", () => {
    forgetSecondFactor();
    say("");
    $("sign-in-username").focus();
  });
  $("sign-out").addEventListener("click", signOut);
  for (const name of ["users", "roles", "audit", "account"]) {
    $(`nav-${name}`).addEventListener("click", () => open(name).catch((error) => fail(error, name)));
  }
  setUpUsers({fail});
  setUpAccount({fail, refreshAccount, signedOut});
  setUpAudit(fail);
  setUpRoles({fail});
  setUpImpersonation({fail, signedIn, signedOut});
  await loadWords(call);
  let note = null;
  try {
    await showProviderButtons();
    note = await returnFromProvider({signedIn, askSecondFactor});
    if (note === true) return;
  } catch (error) {
    note = {text: explain(error, "sign-in"), kind: "error"};
  }
  try {
    await signedIn(await call("GET", ""), false);  // the words were chosen with this session already
  } catch (error) {
    if (error.status === 401) signedOut("");
    else return fail(error, "start");
  }
  if (note) say(note.text, note.kind);
}

start();
