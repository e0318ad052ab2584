// The account page's trusted devices (option `trusted_devices` on the server): the browsers that skip the
// second step of signing in, each with "Forget", and "Forget all devices". Hidden when the server has none.

import {call, offers} from "./api.js";
import {$, button, element, say, when} from "./dom.js";
import {t, tn} from "./i18n.js";

const shell = {act: null};

function deviceItem(device) {
  const values = {
    agent: device.userAgent || t("unknown browser"),
    since: when(device.createdAt),
    used: when(device.lastUsedAt),
    until: when(device.expiresAt),
  };
  const text = device.current
    ? t("This browser: {agent}, trusted since {since}, last used {used}, until {until}", values)
    : t("{agent}, trusted since {since}, last used {used}, until {until}", values);
  const item = element("li", `${text} `, {"data-device": device.id});
  const forget = () => shell.act(async () => {
    await call("DELETE", `/devices/${encodeURIComponent(device.id)}`);
    await loadDevices();
  }, t("Device forgotten: it asks for the second step again."));
  item.append(button(t("Forget"), forget, {"aria-label": t("Forget device trusted since {since}", values)}));
  return item;
}

export async function loadDevices() {
  if (!(await offers("/devices"))) {
    $("devices-card").hidden = true;  // trusted devices are off on this server
    return;
  }
  const devices = (await call("GET", "/devices")).devices;
  $("devices-card").hidden = false;
  $("device-list").replaceChildren(...devices.map(deviceItem));
  if (!devices.length) $("device-list").append(element("li", t("No trusted devices.")));
  $("forget-devices").hidden = !devices.length;
}

export function setUpDevices(act) {
  shell.act = act;
  $("forget-devices").addEventListener("click", () => act(async () => {
    const answer = await call("DELETE", "/devices");
    await loadDevices();
    say(tn("{count} device forgotten.", "{count} devices forgotten.", answer.deleted), "info");
  }));
}
