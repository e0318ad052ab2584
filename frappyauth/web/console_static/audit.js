// The audit trail in the console: the administrators' audit page (GET /audit, page by page) and the
// "recent activity" list of the account view (GET /activity). Both only with `audit_trail` on the server.

import {call, offers} from "./api.js";
import {$, element, when} from "./dom.js";
import {t, tn} from "./i18n.js";

const PAGE = 25;
const page = {next: null, user: "", type: ""};

// An entry's own facts as short text: "method GET, path /api/user".
function facts(details) {
  return Object.entries(details || {})
    .map(([name, value]) => `${name} ${Array.isArray(value) ? value.join(", ") : value}`)
    .join("; ");
}

function auditRow(entry) {
  const row = element("tr", null, {"data-event": entry.event});
  const actor = entry.impersonatorId
    ? t("{actor} (impersonated by {impersonator})", {actor: entry.actorId || "—", impersonator: entry.impersonatorId})
    : entry.actorId || t("anonymous");
  for (const text of [when(entry.at), entry.event, entry.outcome, entry.userId || "—", actor,
    entry.remoteAddr || "—", facts(entry.details) || "—"]) {
    row.append(element("td", text));
  }
  return row;
}

export async function loadAudit(before = null) {
  const query = new URLSearchParams({limit: String(PAGE)});
  if (page.user) query.set("user", page.user);
  if (page.type) query.set("type", page.type);
  if (before) query.set("before", before);
  const answer = await call("GET", `/audit?${query}`);
  page.next = answer.next;
  $("audit-table").tBodies[0].replaceChildren(...answer.entries.map(auditRow));
  $("audit-count").textContent = answer.entries.length
    ? tn("{count} entry, newest first", "{count} entries, newest first", answer.entries.length)
    : t("No entries.");
  $("audit-older").hidden = !answer.next;
  $("audit-newest").hidden = !before;
}

// One of one's own events, for the person it concerns: who else acted is named only by role.
function activityItem(entry) {
  const parts = [when(entry.at), entry.event];
  if (entry.outcome === "failure") parts.push(t("refused"));
  if (entry.impersonatorId) parts.push(t("by an administrator acting as you"));
  else if (entry.actorId && entry.actorId !== entry.userId) parts.push(t("by {actor}", {actor: entry.actorId}));
  if (entry.remoteAddr) parts.push(t("from {address}", {address: entry.remoteAddr}));
  const told = facts(entry.details);
  if (told) parts.push(told);
  return element("li", parts.join(" · "), {"data-event": entry.event});
}

let olderActivity = null;

export async function loadActivity(before = null) {
  if (!(await offers("/activity"))) {
    $("activity-card").hidden = true;  // the audit trail is off on this server
    return;
  }
  const query = new URLSearchParams({limit: "10"});
  if (before) query.set("before", before);
  const answer = await call("GET", `/activity?${query}`);
  $("activity-card").hidden = false;
  const items = answer.entries.map(activityItem);
  if (before) $("activity-list").append(...items);
  else $("activity-list").replaceChildren(...items);
  if (!before && !items.length) $("activity-list").append(element("li", t("Nothing yet.")));
  olderActivity = answer.next;
  $("activity-more").hidden = !answer.next;
}

export function forgetAudit() {
  $("audit-table").tBodies[0].replaceChildren();
  $("activity-list").replaceChildren();
  page.next = null;
  olderActivity = null;
}

export function setUpAudit(fail) {
  $("audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    page.user = $("audit-user").value.trim();
    page.type = $("audit-type").value.trim();
    loadAudit().catch((error) => fail(error, "audit"));
  });
  $("audit-older").addEventListener("click", () => loadAudit(page.next).catch((error) => fail(error, "audit")));
  $("audit-newest").addEventListener("click", () => loadAudit().catch((error) => fail(error, "audit")));
  $("activity-more").addEventListener("click",
    () => loadActivity(olderActivity).catch((error) => fail(error, "account")));
}
