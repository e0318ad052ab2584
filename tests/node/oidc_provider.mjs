// node-oidc-provider (OpenID Certified) on a loopback port, for the suite's OpenID Connect tests.
//
//   node oidc_provider.mjs '<json config>'     (or the config in $OIDC_PROVIDER_CONFIG)
//
// Config: {port (0 = a free one), host, issuer (default http://host:port), clients: [{client_id,
// client_secret, redirect_uris, token_endpoint_auth_method}], accounts: [{sub, email, email_verified,
// name, groups?}], id_token_tamper (a mode of TAMPERS, for a provider that plays malicious)}.
// Once listening it prints one JSON line, {"issuer", "url", "metadata_url", "port"}, and serves until
// it is killed or its stdin closes (the Python fixture holds the other end, so a dead test run
// leaves no provider behind).
//
// The provider itself is as certified: authorization code flow only, PKCE required and S256 only,
// RFC 9207 `iss` in every authorization response (always on since v8), the built-in development
// login and consent pages (devInteractions: any password is accepted, the login is the account's
// `sub`; "[ Cancel ]" ends in error=access_denied). Only the tamper modes and the two /__test__/
// endpoints below are this script's own: they rewrite what a malicious provider would send.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';
import * as jose from 'jose';

const config = JSON.parse(process.argv[2] ?? process.env.OIDC_PROVIDER_CONFIG ?? '{}');
const host = config.host ?? '127.0.0.1';
const accounts = new Map((config.accounts ?? []).map((account) => [account.sub, account]));

async function newSigningKey() {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, publicKey, jwk, kid };
}

function publicJwk({ jwk }) {
  const { d, p, q, dp, dq, qi, ...rest } = jwk; // eslint-disable-line no-unused-vars
  return rest;
}

const advertised = await newSigningKey();
// What the malicious modes change; the two /__test__/ endpoints change it at run time.
const state = { tamper: config.id_token_tamper ?? null, rotated: null };

async function resign(payload, key, header = {}) {
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

// Each mode returns the ID token a malicious (or broken) provider would send instead of `token`.
const TAMPERS = {
  alg_none: async (claims) => new jose.UnsecuredJWT(claims).encode(),
  wrong_aud: async (claims) => resign({ ...claims, aud: 'another-client' }, advertised),
  wrong_iss: async (claims) => resign({ ...claims, iss: 'https://attacker.invalid' }, advertised),
  wrong_nonce: async (claims) => resign({ ...claims, nonce: 'not-the-nonce-sent' }, advertised),
  expired: async (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return resign({ ...claims, iat: now - 7200, exp: now - 3600 }, advertised);
  },
  // Signed by a key the JWKS never lists: with a kid of its own, and with the advertised kid.
  unadvertised_key: async (claims) => resign(claims, await newSigningKey()),
  same_kid_other_key: async (claims) => {
    const other = await newSigningKey();
    return resign(claims, { ...other, kid: advertised.kid });
  },
  // The key-confusion attack: HS256 with the advertised public key (PEM) as the HMAC secret.
  hmac_public_key: async (claims) => {
    const secret = new TextEncoder().encode(await jose.exportSPKI(advertised.publicKey));
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: advertised.kid, typ: 'JWT' })
      .sign(secret);
  },
};

for (const client of config.clients ?? []) {
  client.grant_types ??= ['authorization_code'];
  client.response_types ??= ['code'];
}

const server = createServer();
await new Promise((resolve) => { server.listen(config.port ?? 0, host, resolve); });
const url = `http://${host}:${server.address().port}`;
const issuer = config.issuer ?? url;

const provider = new Provider(issuer, {
  clients: config.clients ?? [],
  jwks: { keys: [advertised.jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { methods: ['S256'], required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  // The ID token carries the scopes' claims, as Google's and Microsoft's do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const { sub, email, email_verified: emailVerified, name, groups } = account;
        return { sub, email, email_verified: emailVerified, name, groups };
      },
    };
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    DeviceCode: 600,
    BackchannelAuthenticationRequest: 600,
    IdToken: 3600,
    RefreshToken: 86400,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

async function testControl(ctx) {
  if (ctx.method !== 'POST') return false;
  if (ctx.path === '/__test__/tamper') {
    const mode = ctx.query.mode || null;
    if (mode !== null && !(mode in TAMPERS)) ctx.throw(400, `unknown tamper mode ${mode}`);
    state.tamper = mode;
  } else if (ctx.path === '/__test__/rotate-signing-key') {
    // A new key, listed first in the JWKS from now on and signing every later ID token: a client
    // that cached the JWKS meets an unknown kid and must fetch it again.
    state.rotated = await newSigningKey();
  } else {
    return false;
  }
  ctx.status = 204;
  return true;
}

async function tamperIdToken(token) {
  const claims = jose.decodeJwt(token);
  if (state.tamper) return TAMPERS[state.tamper](claims);
  if (state.rotated) return resign(claims, state.rotated);
  return token;
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test__/') && await testControl(ctx)) return;
  await next();
  if (ctx.path === '/token' && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamperIdToken(ctx.body.id_token) };
  } else if (ctx.path === '/jwks' && state.rotated && ctx.body?.keys) {
    ctx.body = { keys: [publicJwk(state.rotated), ...ctx.body.keys] };
  }
});

server.on('request', provider.callback());
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`${JSON.stringify({
  issuer, url, port: server.address().port, metadata_url: `${url}/.well-known/openid-configuration`,
})}\n`);
