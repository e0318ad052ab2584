// The account view: one's own password, sessions and API keys.

import {call, offers} from "./api.js";
import {setUpMfa, showTotp} from "./mfa.js";
import {loadPasskeys, setUpPasskeys} from "./passkeys.js";
import {$, button, element, list, say, when} from "./dom.js";
import {loadActivity} from "./audit.js";

async function act(work, done) {
  try {
    await work();
    if (done) say(done, "info");
  } catch (error) {
    shell.fail(error, "account");
  }
}

export async function loadAccount(user) {
  showTotp(user);
  await loadPasskeys(act);
  await loadSessions();
  await loadKeys();
  await loadActivity();
}

async function loadSessions() {
  const sessions = (await call("GET", "/sessions")).sessions;
  $("session-list").replaceChildren(...sessions.map((session) => {
    const where = session.impersonated ? "an administrator impersonating you" :
      `${session.userAgent || "unknown browser"} from ${session.remoteAddr || "an unknown address"}`;
    const item = element("li", `${session.current ? "This session" : "Session"}: ${where}, ` +
      `since ${when(session.createdAt)} `);
    const end = () => act(async () => {
      await call("DELETE", `/sessions/${session.id}`);
      if (session.current) shell.signedOut("You are signed out.");
      else await loadSessions();
    }, session.current ? "" : "Session ended.");
    item.append(button("End", end, {"aria-label": `End session since ${when(session.createdAt)}`}));
    return item;
  }));
}

async function loadKeys() {
  if (!(await offers("/keys"))) {
    $("keys-card").hidden = true;  // API keys are off on this server
    return;
  }
  const keys = (await call("GET", "/keys")).keys;
  $("keys-card").hidden = false;
  $("key-list").replaceChildren(...keys.map((key) => {
    const scopes = key.scopes === null ? "all my permissions" : key.scopes.join(", ") || "no permissions";
    const item = element("li", `${key.name}: ${scopes}; expires ${when(key.expiresAt)}; ` +
      `last used ${when(key.lastUsedAt)} `);
    const revoke = () => act(async () => {
      await call("DELETE", `/keys/${key.id}`);
      await loadKeys();
    }, `Key ${key.name} revoked.`);
    item.append(button("Revoke", revoke, {"aria-label": `Revoke key ${key.name}`}));
    return item;
  }));
}

function createKey(event) {
  event.preventDefault();
  const body = {name: $("key-name").value};
  const scopes = list($("key-scopes").value);
  if (scopes.length) body.scopes = scopes;
  if ($("key-expiry").value) body.expiresIn = Number($("key-expiry").value);
  act(async () => {
    const key = await call("POST", "/keys", body);
    $("key-form").reset();
    $("new-key-value").value = key.apiKey;
    $("new-key").hidden = false;
    $("new-key-value").select();
    await loadKeys();
  }, "Key created: copy it now, it will not be shown again.");
}

async function copyKey() {
  const field = $("new-key-value");
  try {
    await navigator.clipboard.writeText(field.value);
    say("Copied.", "info");
  } catch (error) {
    field.select();  // without clipboard access (plain HTTP), the selected text can be copied by hand
    say("Select the key and copy it with your keyboard.", "info");
  }
}

function forgetKey() {
  $("new-key-value").value = "";
  $("new-key").hidden = true;
  $("key-name").focus();
}

// What the entry point lends this view (handed over by `setUpAccount`, so no module imports back).
const shell = {fail: null, refreshAccount: null, signedOut: null};

export function setUpAccount(hooks) {
  Object.assign(shell, hooks);
  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {oldPassword: $("old-password").value, newPassword: $("new-password").value};
    act(async () => {
      await call("POST", "/password", body);
      $("password-form").reset();
      await loadSessions();
    }, "Password changed. Your other sessions have ended.");
  });
  $("end-other-sessions").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", "/sessions?keepCurrent=true");
    await loadSessions();
    say(`${answer.deleted} other session${answer.deleted === 1 ? "" : "s"} ended.`, "info");
  }));
  $("end-all-sessions").addEventListener("click", () => act(async () => {
    await call("DELETE", "/sessions?keepCurrent=false");
    shell.signedOut("You are signed out everywhere.");
  }));
  $("key-form").addEventListener("submit", createKey);
  setUpMfa(shell.refreshAccount, act);
  setUpPasskeys(shell.refreshAccount, act);
  $("new-key-copy").addEventListener("click", copyKey);
  $("new-key-done").addEventListener("click", forgetKey);
}
