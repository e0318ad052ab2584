// Passkeys (with the option `passkeys` on the server): adding and removing one's own, and using one at the
// second step of a login. The browser's WebAuthn API does the ceremony; the server's options and the
// browser's answers travel as the standard WebAuthn JSON.

import {call, offers} from "./api.js";
import {$, button, element, when} from "./dom.js";

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
    const used = `added ${when(passkey.createdAt)}, last used ${when(passkey.lastUsedAt)}`;
    const item = element("li", `${passkey.name}: ${used} `);
    const remove = () => act(async () => {
      await call("DELETE", `/passkeys/${encodeURIComponent(passkey.id)}`);
      await loadPasskeys(act);
    }, `Passkey ${passkey.name} removed.`);
    item.append(button("Remove", remove, {"aria-label": `Remove passkey ${passkey.name}`}));
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
    }, `Passkey ${name} added.`);
  });
}
