// A real OpenID provider for FourthP's sign-in tests: panva's oidc-provider (certified), with a
// confidential client, PKCE required, and a sign-in page of its own. Its signing key is made at
// start with the key id given, so a restart with another id is a key rotation.
//
//   node tests/peers/oidc/provider.mjs CONFIG.json
//
// CONFIG: {"port": 0, "kid": "key-1", "clients": [{"client_id", "client_secret", "redirect_uris"}],
//          "users": [{"login", "password", "sub", "email"}]}
// Prints one line, {"issuer": "http://localhost:PORT"}, once it listens. A request whose
// authorization carries `login_hint` equal to a user's login signs that user in without the
// page (the integration tests); without it, the page asks for the login and password (the
// browser story).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const port = config.port || (await freePort());
const issuer = `http://localhost:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: config.kid || 'key-1', use: 'sig', alg: 'RS256' };
const users = new Map(config.users.map((u) => [u.login, u]));

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  cookies: { keys: ['fourthp-test-oidc-provider-cookie-key'] },
  features: { devInteractions: { enabled: false } },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(_ctx, sub) {
    const user = [...users.values()].find((u) => u.sub === sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: user.email, email_verified: true, name: user.name || user.login };
      },
    };
  },
  // A first-party client: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Error</title></head><body><main><h1>${out.error}</h1></main></body></html>`;
  },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(uid, error) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in – Test Council</title></head>
<body><main><h1>Test Council sign-in</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function formBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !m[2]) {
    const hinted = users.get(details.params.login_hint);
    if (hinted) {
      const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: hinted.sub } }, { mergeWithLastSubmission: false });
      return ctx.redirect(to);
    }
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return undefined;
  }
  if (ctx.method === 'POST' && m[2]) {
    const form = await formBody(ctx.req);
    const user = users.get(form.get('login'));
    if (!user || user.password !== form.get('password')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = page(details.uid, 'That username and password do not match.');
      return undefined;
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    return ctx.redirect(to);
  }
  return next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
