// A user's roles and suspension on the user card of the admin view (options `roles` and `suspension` on
// the server; each part shows only when its endpoints are there): the roles held and the permissions they
// add up to, suspending with a reason, and unsuspending.

import {call, offers} from "./api.js";
import {$, list, say, when} from "./dom.js";
import {t} from "./i18n.js";

// What users.js lends: `fail`, and `changed(user)` to show a changed user everywhere.
const shell = {fail: null, changed: null};
let shown = null;

async function act(work, done) {
  try {
    await shell.changed(await work());
    say(done, "info");
  } catch (error) {
    shell.fail(error, "users");
  }
}

// The user's roles and suspension as the server says now (after any change, from its answer).
export function showAccess(user) {
  shown = user;
  if (Array.isArray(user.roles)) {
    $("detail-roles").value = user.roles.join(", ");
    const permissions = user.effectivePermissions.join(", ") || t("none");  // t() inside t() is not extracted
    $("detail-effective").textContent = t("Effective permissions: {permissions}", {permissions});
  }
  if (typeof user.suspended === "boolean") {
    $("suspension-state").textContent = user.suspended
      ? t("Suspended since {since}.", {since: when(user.suspendedAt)}) : t("Not suspended.");
    $("suspend-form").hidden = user.suspended;
    $("unsuspend").hidden = !user.suspended;
  }
}

// Called when an administrator opens a user's detail.
export async function offerAccess(user) {
  $("roles-form").hidden = !(await offers("/users/{userId}/roles"));
  $("suspension").hidden = !(await offers("/users/{userId}/suspend"));
  $("suspend-reason").value = "";
  showAccess(user);
}

export function setUpAccess(hooks) {
  Object.assign(shell, hooks);
  $("roles-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const roles = list($("detail-roles").value);
    act(async () => {
      try {
        return await call("POST", `/users/${shown.id}/roles`, {roles});
      } catch (error) {
        $("detail-roles").value = shown.roles.join(", ");  // what the user still holds
        throw error;
      }
    }, t("Roles saved."));
  });
  $("suspend-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("suspend-reason").value.trim();
    act(async () => {
      const user = await call("POST", `/users/${shown.id}/suspend`, reason ? {reason} : {});
      $("suspend-reason").value = "";
      return user;
    }, t("{name} is suspended: their sessions ended.", {name: shown.username}));
  });
  $("unsuspend").addEventListener("click", () => act(
    () => call("POST", `/users/${shown.id}/unsuspend`), t("{name} is no longer suspended.", {name: shown.username})));
}
