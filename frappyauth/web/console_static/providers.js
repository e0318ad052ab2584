// Identity providers in the console: "Sign in with ..." buttons, the way back from a provider (its
// one-time code exchanged for the session cookie), and the account's linked identities.

import {call, offers} from "./api.js";
import {$, button, element, when} from "./dom.js";
import {t} from "./i18n.js";

const base = location.pathname.replace(/\/console\/.*$/, "");
const errors = {
  access_denied: () => t("The provider did not sign you in."),
  account_exists: () => t("An account with this address exists: sign in to it, then link the provider on your account page."),
  sign_up_closed: () => t("No account is linked to this provider account, and sign-up through it is closed."),
  identity_linked_elsewhere: () => t("This provider account is linked to another account."),
  invalid_state: () => t("That sign-in expired or was started elsewhere. Try again."),
};
let providers = [];

async function configured() {
  if (!(await offers("/providers"))) return [];  // off on this server: no request that would 404
  return (await call("GET", "/providers")).providers;
}

function startUrl(name) {
  return `${base}/sso/${encodeURIComponent(name)}/start?next=${encodeURIComponent(location.pathname)}`;
}

export async function showProviderButtons() {
  providers = await configured();
  $("providers").hidden = providers.length === 0;
  $("provider-list").replaceChildren(...providers.map((provider) => {
    const link = element("a", t("Sign in with {name}", {name: provider.displayName}), {href: startUrl(provider.name)});
    return element("li").appendChild(link).parentNode;
  }));
}

// After a provider, the query names the outcome once; it is taken off the address at once (a code is
// single use). Answers true when the exchange signed in (or asked for the second step), else what to
// say, if anything, once the view is shown.
export async function returnFromProvider({signedIn, askSecondFactor}) {
  const query = new URLSearchParams(location.search);
  const [code, error, linked] = ["sso_code", "sso_error", "sso_linked"].map((name) => query.get(name));
  if (!code && !error && !linked) return null;
  history.replaceState(null, "", location.pathname);
  if (error) {
    const text = errors[error] ? errors[error]() : t("The sign-in through the provider failed ({code}).", {code: error});
    return {text, kind: "error"};
  }
  if (linked) return {text: t("The provider is linked to your account."), kind: "info"};
  const answer = await call("POST", "/sso/exchange", {code});
  if (answer.mfaRequired) askSecondFactor(answer);
  else await signedIn(answer.user);
  return true;
}

export async function loadIdentities(act) {
  if (!(await offers("/identities"))) {
    $("identities-card").hidden = true;
    return;
  }
  const identities = (await call("GET", "/identities")).identities;
  $("identities-card").hidden = false;
  $("identity-list").replaceChildren(...identities.map((identity) => {
    const values = {provider: identity.provider, email: identity.email || t("no address"), used: when(identity.lastUsedAt)};
    const item = element("li", t("{provider} ({email}), last used {used}", values) + " ");
    const unlink = () => act(async () => {
      await call("DELETE", `/identities/${identity.id}`);
      await loadIdentities(act);
    }, t("Provider {provider} unlinked.", values));
    item.append(button(t("Unlink"), unlink, {"aria-label": t("Unlink {provider}", values)}));
    return item;
  }));
  $("identity-links").replaceChildren(...providers.map((provider) => button(
    t("Link {name}", {name: provider.displayName}),
    () => act(async () => {
      location.assign((await call("POST", `/sso/${encodeURIComponent(provider.name)}/link/start`, {next: location.pathname})).url);
    }),
  )));
}
