// The account view: one's own password, sessions and API keys (trusted devices in devices.js).

import {call, offers} from "./api.js";
import {setUpMfa, showTotp} from "./mfa.js";
import {loadPasskeys, setUpPasskeys} from "./passkeys.js";
import {loadIdentities} from "./providers.js";
import {$, button, element, list, say, when} from "./dom.js";
import {t, tn} from "./i18n.js";
import {loadActivity} from "./audit.js";
import {loadDevices, setUpDevices} from "./devices.js";

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
  await loadIdentities(act);
  await loadSessions();
  await loadDevices();
  await loadKeys();
  await loadActivity();
}

async function loadSessions() {
  const sessions = (await call("GET", "/sessions")).sessions;
  $("session-list").replaceChildren(...sessions.map((session) => {
    const values = {
      agent: session.userAgent || t("unknown browser"),
      address: session.remoteAddr || t("an unknown address"),
      since: when(session.createdAt),
    };
    let text;
    if (session.impersonated) {
      text = session.current ? t("This session: an administrator impersonating you, since {since}", values)
        : t("Session: an administrator impersonating you, since {since}", values);
    } else {
      text = session.current ? t("This session: {agent} from {address}, since {since}", values)
        : t("Session: {agent} from {address}, since {since}", values);
    }
    const item = element("li", `${text} `);
    const end = () => act(async () => {
      await call("DELETE", `/sessions/${session.id}`);
      if (session.current) shell.signedOut(t("You are signed out."));
      else await loadSessions();
    }, session.current ? "" : t("Session ended."));
    item.append(button(t("End"), end, {"aria-label": t("End session since {since}", values)}));
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
    const scopes = key.scopes === null ? t("all my permissions") : key.scopes.join(", ") || t("no permissions");
    const values = {name: key.name, scopes, expires: when(key.expiresAt), used: when(key.lastUsedAt)};
    const item = element("li", t("{name}: {scopes}; expires {expires}; last used {used}", values) + " ");
    const revoke = () => act(async () => {
      await call("DELETE", `/keys/${key.id}`);
      await loadKeys();
    }, t("Key {name} revoked.", values));
    item.append(button(t("Revoke"), revoke, {"aria-label": t("Revoke key {name}", values)}));
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
  }, t("Key created: copy it now, it will not be shown again."));
}

async function copyKey() {
  const field = $("new-key-value");
  try {
    await navigator.clipboard.writeText(field.value);
    say(t("Copied."), "info");
  } catch (error) {
    field.select();  // without clipboard access (plain HTTP), the selected text can be copied by hand
    say(t("Select the key and copy it with your keyboard."), "info");
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
    }, t("Password changed. Your other sessions have ended."));
  });
  $("end-other-sessions").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", "/sessions?keepCurrent=true");
    await loadSessions();
    say(tn("{count} other session ended.", "{count} other sessions ended.", answer.deleted), "info");
  }));
  $("end-all-sessions").addEventListener("click", () => act(async () => {
    await call("DELETE", "/sessions?keepCurrent=false");
    shell.signedOut(t("You are signed out everywhere."));
  }));
  $("key-form").addEventListener("submit", createKey);
  setUpMfa(shell.refreshAccount, act);
  setUpPasskeys(shell.refreshAccount, act);
  setUpDevices(act);
  $("new-key-copy").addEventListener("click", copyKey);
  $("new-key-done").addEventListener("click", forgetKey);
}
