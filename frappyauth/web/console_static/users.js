// The admin view: find users by name prefix, page through them, create one, and manage the one selected.

import {call, offers} from "./api.js";
import {$, button, element, list, say, when} from "./dom.js";
import {offerImpersonation} from "./impersonation.js";

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
  const what = view.prefix ? `starting with "${view.prefix}"` : "in all";
  $("user-count").textContent = `${answer.total} user${answer.total === 1 ? "" : "s"} ${what}`;
  $("page-label").textContent = `Page ${view.page + 1} of ${view.pages}`;
  $("page-previous").hidden = view.page === 0;
  $("page-next").hidden = view.page + 1 >= view.pages;
}

function userRow(user) {
  const row = element("tr");
  row.append(element("td", user.username), element("td", user.permissions.join(", ") || "—"));
  const cell = element("td");
  cell.append(button("Manage", () => act(() => select(user)), {"aria-label": `Manage ${user.username}`}));
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
  await offerImpersonation(user);
  $("detail-permissions").focus();
}

async function loadDetail() {
  const id = view.selected.id;
  const sessions = (await call("GET", `/users/${id}/sessions`)).sessions;
  $("detail-sessions").textContent = `${sessions.length} active session${sessions.length === 1 ? "" : "s"}.`;
  const keysOn = await offers("/users/{userId}/keys");  // API keys may be off on this server
  const keys = keysOn ? (await call("GET", `/users/${id}/keys`)).keys : [];
  $("detail-revoke-keys").hidden = !keysOn;
  $("detail-keys").replaceChildren(...keys.map((key) => {
    const item = element("li", `${key.name} (expires ${when(key.expiresAt)}) `);
    const revoke = () => act(async () => {
      await call("DELETE", `/users/${id}/keys/${key.id}`);
      await loadDetail();
    }, `Key ${key.name} revoked.`);
    item.append(button("Revoke", revoke, {"aria-label": `Revoke key ${key.name}`}));
    return item;
  }));
}

async function refreshSelected(user) {
  view.selected = user;
  $("detail-permissions").value = user.permissions.join(", ");
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
    }, "Permissions saved.");
  });
  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = $("detail-password").value;
    act(async () => {
      await call("POST", `/users/${view.selected.id}/password`, {password});
      $("detail-password").value = "";
      await loadDetail();
    }, "Password reset: their sessions ended and their API keys were revoked.");
  });
  $("detail-reset-mfa").addEventListener("click", () => act(async () => {
    await call("DELETE", `/users/${view.selected.id}/mfa`);
    $("detail-reset-mfa").hidden = true;
    await loadUsers();
  }, "Second factor reset: they sign in with their password, and can set it up again."));
  $("detail-unlock").addEventListener("click", () =>
    act(() => call("POST", `/users/${view.selected.id}/unlock`), "Unlocked: failed sign-ins are forgotten."));
  $("detail-end-sessions").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", `/users/${view.selected.id}/sessions`);
    await loadDetail();
    say(`${answer.deleted} session${answer.deleted === 1 ? "" : "s"} ended.`, "info");
  }));
  $("detail-revoke-keys").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", `/users/${view.selected.id}/keys`);
    await loadDetail();
    say(`${answer.revoked} API key${answer.revoked === 1 ? "" : "s"} revoked.`, "info");
  }));
  setUpDelete();
}

function setUpDelete() {
  $("detail-delete").addEventListener("click", () => {
    $("delete-question").textContent = `Delete ${view.selected.username} for good? ` +
      "Their sessions and API keys end with the account.";
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
    say(`${name} deleted.`, "info");
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
      say(`${user.username} created.`, "info");
    });
  });
  setUpDetail();
}
