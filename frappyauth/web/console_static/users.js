// The admin view: find users by name prefix, page through them, create one, and manage the one selected.

import {call, offers} from "./api.js";
import {$, button, element, list, say, when} from "./dom.js";
import {t, tn} from "./i18n.js";
import {offerImpersonation} from "./impersonation.js";
import {offerAccess, setUpAccess, showAccess} from "./user_access.js";

const view = {page: 0, prefix: "", pages: 1, selected: null};

async function act(work, done) {
  try {
    await work();
    if (done) say(done, "info");
  } catch (error) {
    shell.fail(error, "users");
  }
}

export async function loadUsers() {
  const query = `page=${view.page}` + (view.prefix ? `&q=${encodeURIComponent(view.prefix)}` : "");
  const answer = await call("GET", `/users?${query}`);
  const size = Math.max(answer.users.length, 1);
  view.pages = view.page === 0 ? Math.max(1, Math.ceil(answer.total / size)) : view.pages;
  const rows = $("user-table").tBodies[0];
  rows.replaceChildren(...answer.users.map(userRow));
  $("user-count").textContent = view.prefix
    ? tn("{count} user starting with \"{prefix}\"", "{count} users starting with \"{prefix}\"", answer.total,
      {prefix: view.prefix})
    : tn("{count} user in all", "{count} users in all", answer.total);
  $("page-label").textContent = t("Page {page} of {pages}", {page: view.page + 1, pages: view.pages});
  $("page-previous").hidden = view.page === 0;
  $("page-next").hidden = view.page + 1 >= view.pages;
}

function userRow(user) {
  const row = element("tr");
  row.append(element("td", user.username), element("td", user.permissions.join(", ") || "—"));
  const cell = element("td");
  const label = t("Manage {name}", {name: user.username});
  cell.append(button(t("Manage"), () => act(() => select(user)), {"aria-label": label}));
  row.append(cell);
  return row;
}

async function select(user) {
  view.selected = user;
  $("user-detail").hidden = false;
  $("delete-confirm").hidden = true;
  $("detail-title").textContent = user.username;
  $("detail-permissions").value = user.permissions.join(", ");
  $("detail-password").value = "";
  $("detail-reset-mfa").hidden = !(user.mfa && (user.mfa.totp || user.mfa.passkeys));
  await loadDetail();
  await offerAccess(user);
  await offerImpersonation(user);
  $("detail-permissions").focus();
}

async function loadDetail() {
  const id = view.selected.id;
  const sessions = (await call("GET", `/users/${id}/sessions`)).sessions;
  $("detail-sessions").textContent = tn("{count} active session.", "{count} active sessions.", sessions.length);
  const keysOn = await offers("/users/{userId}/keys");  // API keys may be off on this server
  const keys = keysOn ? (await call("GET", `/users/${id}/keys`)).keys : [];
  $("detail-revoke-keys").hidden = !keysOn;
  $("detail-keys").replaceChildren(...keys.map((key) => {
    const values = {name: key.name, expires: when(key.expiresAt)};
    const item = element("li", t("{name} (expires {expires})", values) + " ");
    const revoke = () => act(async () => {
      await call("DELETE", `/users/${id}/keys/${key.id}`);
      await loadDetail();
    }, t("Key {name} revoked.", values));
    item.append(button(t("Revoke"), revoke, {"aria-label": t("Revoke key {name}", values)}));
    return item;
  }));
}

async function refreshSelected(user) {
  view.selected = user;
  $("detail-permissions").value = user.permissions.join(", ");
  showAccess(user);
  await loadUsers();
}

function setUpDetail() {
  $("permissions-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const permissions = list($("detail-permissions").value);
    act(async () => {
      try {
        await refreshSelected(await call("POST", `/users/${view.selected.id}/permissions`, {permissions}));
      } catch (error) {
        $("detail-permissions").value = view.selected.permissions.join(", ");  // what the user still holds
        throw error;
      }
    }, t("Permissions saved."));
  });
  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = $("detail-password").value;
    act(async () => {
      await call("POST", `/users/${view.selected.id}/password`, {password});
      $("detail-password").value = "";
      await loadDetail();
    }, t("Password reset: their sessions ended and their API keys were revoked."));
  });
  $("detail-reset-mfa").addEventListener("click", () => act(async () => {
    await call("DELETE", `/users/${view.selected.id}/mfa`);
    $("detail-reset-mfa").hidden = true;
    await loadUsers();
  }, t("Second factor reset: they sign in with their password, and can set it up again.")));
  $("detail-unlock").addEventListener("click", () =>
    act(() => call("POST", `/users/${view.selected.id}/unlock`), t("Unlocked: failed sign-ins are forgotten.")));
  $("detail-end-sessions").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", `/users/${view.selected.id}/sessions`);
    await loadDetail();
    say(tn("{count} session ended.", "{count} sessions ended.", answer.deleted), "info");
  }));
  $("detail-revoke-keys").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", `/users/${view.selected.id}/keys`);
    await loadDetail();
    say(tn("{count} API key revoked.", "{count} API keys revoked.", answer.revoked), "info");
  }));
  setUpDelete();
}

function setUpDelete() {
  $("detail-delete").addEventListener("click", () => {
    $("delete-question").textContent = t(
      "Delete {name} for good? Their sessions and API keys end with the account.", {name: view.selected.username});
    $("delete-confirm").hidden = false;
    $("delete-no").focus();
  });
  $("delete-no").addEventListener("click", () => {
    $("delete-confirm").hidden = true;
    $("detail-delete").focus();
  });
  $("delete-yes").addEventListener("click", () => act(async () => {
    const name = view.selected.username;
    await call("DELETE", `/users/${view.selected.id}`);
    $("user-detail").hidden = true;
    view.selected = null;
    await loadUsers();
    say(t("{name} deleted.", {name}), "info");
  }));
}

// What the entry point lends this view (handed over by `setUpUsers`, so no module imports back).
const shell = {fail: null};

export function setUpUsers(hooks) {
  Object.assign(shell, hooks);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    view.prefix = $("search-prefix").value.trim();
    view.page = 0;
    act(loadUsers);
  });
  $("page-previous").addEventListener("click", () => { view.page -= 1; act(loadUsers); });
  $("page-next").addEventListener("click", () => { view.page += 1; act(loadUsers); });
  $("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {username: $("create-username").value, password: $("create-password").value};
    const permissions = list($("create-permissions").value);
    if (permissions.length) body.permissions = permissions;
    act(async () => {
      const user = await call("POST", "/users", body);
      $("create-form").reset();
      await loadUsers();
      say(t("{name} created.", {name: user.username}), "info");
    });
  });
  setUpDetail();
  setUpAccess({fail: shell.fail, changed: refreshSelected});
}
