// The administrators' roles page (option `roles` on the server): every role with its permissions, a form
// that creates a role or replaces its permissions (PUT /roles/<name>), and deleting one. A role users still
// hold is deleted only after the server's 409 `role_in_use` and a confirmation, with `?force=true`.

import {call} from "./api.js";
import {$, button, element, list, say} from "./dom.js";
import {t, tn} from "./i18n.js";

const shell = {fail: null};
let doomed = null;  // the role whose forced deletion waits for a confirmation

const path = (name) => `/roles/${encodeURIComponent(name)}`;

async function act(work) {
  try {
    await work();
  } catch (error) {
    shell.fail(error, "roles");
  }
}

function roleRow(role) {
  const row = element("tr", null, {"data-role": role.name});
  row.append(element("td", role.name), element("td", role.permissions.join(", ") || "—"));
  const cell = element("td");
  const edit = () => {
    $("role-name").value = role.name;
    $("role-permissions").value = role.permissions.join(", ");
    $("role-permissions").focus();
  };
  cell.append(button(t("Edit"), edit, {"aria-label": t("Edit role {name}", {name: role.name})}));
  cell.append(button(t("Delete"), () => act(() => remove(role.name, false)),
    {"aria-label": t("Delete role {name}", {name: role.name}), class: "warn"}));
  row.append(cell);
  return row;
}

export async function loadRoles() {
  const roles = (await call("GET", "/roles")).roles;
  $("role-table").tBodies[0].replaceChildren(...roles.map(roleRow));
  $("role-count").textContent = roles.length ? tn("{count} role", "{count} roles", roles.length) : t("No roles yet.");
}

function hideConfirmation() {
  doomed = null;
  $("role-delete-confirm").hidden = true;
}

async function remove(name, force) {
  hideConfirmation();
  try {
    await call("DELETE", path(name) + (force ? "?force=true" : ""));
  } catch (error) {
    if (error.code !== "role_in_use" || force) throw error;
    doomed = name;  // users hold it: ask before taking it from them
    $("role-delete-question").textContent = t(
      "Users hold the role {name}. Delete it anyway, taking it from every one of them?", {name});
    $("role-delete-confirm").hidden = false;
    $("role-delete-no").focus();
    return;
  }
  await loadRoles();
  say(t("Role {name} deleted.", {name}), "info");
}

async function save(event) {
  event.preventDefault();
  const name = $("role-name").value.trim();
  const permissions = list($("role-permissions").value);
  await act(async () => {
    await call("PUT", path(name), {permissions});
    $("role-form").reset();
    await loadRoles();
    say(t("Role {name} saved.", {name}), "info");
  });
}

export function forgetRoles() {
  hideConfirmation();
  $("role-table").tBodies[0].replaceChildren();
}

export function setUpRoles(hooks) {
  Object.assign(shell, hooks);
  $("role-form").addEventListener("submit", save);
  $("role-delete-yes").addEventListener("click", () => act(() => remove(doomed, true)));
  $("role-delete-no").addEventListener("click", hideConfirmation);
}
