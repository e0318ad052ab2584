// The second factor (TOTP, with the option `totp` on the server): the login's second step, enrolment with
// the QR code and recovery codes, and turning it off. The mfaToken lives in this module's memory only.

import {call, offers} from "./api.js";
import {$, element, say} from "./dom.js";
import {signInWithPasskey, supported} from "./passkeys.js";
import {t} from "./i18n.js";

const pending = {mfaToken: null};

// Six digits are a code from the app; anything else is a recovery code (`xxxx-xxxx-xxxx`).
export function factor(typed) {
  const value = typed.replace(/\s/g, "");
  return /^\d{6}$/.test(value) ? {code: value} : {recoveryCode: typed.trim()};
}

export function askSecondFactor(answer) {
  pending.mfaToken = answer.mfaToken;
  const byCode = answer.methods.includes("totp");
  $("sign-in-form").hidden = true;
  $("mfa-form").hidden = false;
  $("mfa-code-part").hidden = !byCode;
  $("mfa-code").required = byCode;
  $("mfa-passkey").hidden = !(answer.methods.includes("passkey") && supported());
  $("mfa-code").value = "";
  $("mfa-trust").checked = false;
  (byCode ? $("mfa-code") : $("mfa-passkey")).focus();
  offers("/devices").then((on) => { $("mfa-trust-part").hidden = !on; }, () => {});  // trusted devices on?
}

// `trustDevice` only when the server offers trusted devices and the person asked for it.
function trust() {
  return !$("mfa-trust-part").hidden && $("mfa-trust").checked ? {trustDevice: true} : {};
}

export function forgetSecondFactor() {
  pending.mfaToken = null;
  $("mfa-form").hidden = true;
  $("sign-in-form").hidden = false;
}

// The login's second step; returns the signed-in user. A spent or expired mfaToken starts the login again.
export async function completeSignIn() {
  try {
    const body = {mfaToken: pending.mfaToken, ...factor($("mfa-code").value), ...trust()};
    const answer = await call("POST", "/login/mfa", body);
    forgetSecondFactor();
    return answer.user;
  } catch (error) {
    if (error.code === "invalid_mfa_token") forgetSecondFactor();
    throw error;
  }
}

export async function completeWithPasskey() {
  try {
    const user = await signInWithPasskey(pending.mfaToken);
    forgetSecondFactor();
    return user;
  } catch (error) {
    if (error.code === "invalid_mfa_token") forgetSecondFactor();
    throw error;
  }
}

export function showTotp(user) {
  const card = $("totp-card");
  card.hidden = !user.mfa;  // the server has TOTP off: no `mfa` in the user
  if (!user.mfa) return;
  const on = user.mfa.totp;
  $("totp-state").textContent = on ? t("On: signing in asks for a code from your authenticator app.")
    : t("Off: your password alone signs you in.");
  $("totp-start-form").hidden = on;
  $("totp-manage-form").hidden = !on;
}

function showRecoveryCodes(codes) {
  $("recovery-list").replaceChildren(...codes.map((code) => element("li", code)));
  $("recovery").hidden = false;
  $("recovery-done").focus();
}

export function setUpMfa(refresh, act) {
  $("totp-start-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      const answer = await call("POST", "/mfa/totp", {password: $("totp-start-password").value});
      $("totp-start-form").reset();
      $("totp-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.qrSvg)}`;
      $("totp-secret").value = answer.secret;
      $("totp-enrol").hidden = false;
      $("totp-confirm-code").focus();
    });
  });
  $("totp-confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {
      const answer = await call("POST", "/mfa/totp/confirm", {code: $("totp-confirm-code").value.trim()});
      $("totp-confirm-form").reset();
      $("totp-secret").value = "";
      $("totp-qr").removeAttribute("src");
      $("totp-enrol").hidden = true;
      await refresh();
      showRecoveryCodes(answer.recoveryCodes);
    }, t("Two-step sign-in is on. Save your recovery codes now."));
  });
  $("totp-manage-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {password: $("totp-manage-password").value, ...factor($("totp-manage-code").value)};
    act(async () => {
      const answer = await call("POST", "/mfa/recovery-codes", body);
      $("totp-manage-form").reset();
      showRecoveryCodes(answer.recoveryCodes);
    }, t("New recovery codes: the old ones no longer work."));
  });
  $("totp-off").addEventListener("click", () => {
    const body = {password: $("totp-manage-password").value, ...factor($("totp-manage-code").value)};
    act(async () => {
      await call("DELETE", "/mfa/totp", body);
      $("totp-manage-form").reset();
      await refresh();
    }, t("Two-step sign-in is off."));
  });
  $("recovery-done").addEventListener("click", () => {
    $("recovery-list").replaceChildren();
    $("recovery").hidden = true;
  });
}
