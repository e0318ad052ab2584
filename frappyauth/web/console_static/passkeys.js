// Passkeys (with the option `passkeys` on the server): adding and removing one's own, and using one at the
// second step of a login. The browser's WebAuthn API does the ceremony; the server's options and the
// browser's answers travel as the standard WebAuthn JSON.

import {call, offers} from "./api.js";
import {$, button, element, when} from "./dom.js";
import {t} from "./i18n.js";

export const supported = () => typeof PublicKeyCredential !== "undefined" &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

// The login's second step with a passkey; returns the signed-in user.
export async function signInWithPasskey(mfaToken) {
  const options = await call("POST", "/passkeys/login/options", {mfaToken});
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const credential = await navigator.credentials.get({publicKey});
  return (await call("POST", "/passkeys/login", {mfaToken, credential: credential.toJSON()})).user;
}

export async function loadPasskeys(act) {
  if (!(await offers("/passkeys"))) {
    $("passkey-card").hidden = true;  // passkeys are off on this server
    return;
  }
  const passkeys = (await call("GET", "/passkeys")).passkeys;
  $("passkey-card").hidden = !supported();
  $("passkey-list").replaceChildren(...passkeys.map((passkey) => {
    const values = {name: passkey.name, added: when(passkey.createdAt), used: when(passkey.lastUsedAt)};
    const item = element("li", t("{name}: added {added}, last used {used}", values) + " ");
    const remove = () => act(async () => {
      await call("DELETE", `/passkeys/${encodeURIComponent(passkey.id)}`);
      await loadPasskeys(act);
    }, t("Passkey {name} removed.", values));
    item.append(button(t("Remove"), remove, {"aria-label": t("Remove passkey {name}", values)}));
    return item;
  }));
}

export function setUpPasskeys(refresh, act) {
  $("passkey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("passkey-name").value;
    act(async () => {
      const options = await call("POST", "/passkeys/register/options", {});
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
      const credential = await navigator.credentials.create({publicKey});
      await call("POST", "/passkeys/register", {name, credential: credential.toJSON()});
      $("passkey-form").reset();
      await refresh();
    }, t("Passkey {name} added.", {name}));
  });
}
