// A throwaway OAuth 2.1 authorization server for the tests: node-oidc-provider on 127.0.0.1.
// Started by tests/oidc/__init__.py with its settings in the environment:
//   OIDC_MODULE    file:// URL of oidc-provider's lib/index.js (installed into a cache folder by the tests)
//   OIDC_PORT      the port to listen on; the issuer is http://127.0.0.1:<port>
//   OIDC_JWKS      path of a JSON file holding the private signing keys ({"keys": [...]})
//   OIDC_RESOURCE  the MCP server's /mcp URL: the audience of every JWT access token
//   OIDC_REDIRECT  the redirect URI of the authorization-code client
// Prints "ready" once it listens.
import fs from 'node:fs';

const { default: Provider } = await import(process.env.OIDC_MODULE);
const port = Number(process.env.OIDC_PORT);
const resource = process.env.OIDC_RESOURCE;
const issuer = `http://127.0.0.1:${port}`;
const secret = (id) => `secret-of-${id}-0123456789abcdef`;

// Client-credentials clients: two users of one team ("alpha", "beta"), one whose tokens live a second
// ("short"), and one that may only ask for a scope other than mcp:tools ("narrow").
const machine = (id, scope) => ({
  client_id: id, client_secret: secret(id), grant_types: ['client_credentials'], redirect_uris: [],
  response_types: [], scope,
});

const provider = new Provider(issuer, {
  clients: [
    machine('alpha', 'mcp:tools mcp:other'),
    machine('beta', 'mcp:tools mcp:other'),
    machine('short', 'mcp:tools'),
    machine('narrow', 'mcp:other'),
    {
      client_id: 'desktop-app', token_endpoint_auth_method: 'none', application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      redirect_uris: [process.env.OIDC_REDIRECT], scope: 'openid offline_access mcp:tools',
    },
  ],
  jwks: JSON.parse(fs.readFileSync(process.env.OIDC_JWKS, 'utf8')),
  cookies: { keys: ['cookie-key-of-a-throwaway-test-server'] },
  scopes: ['openid', 'offline_access', 'mcp:tools', 'mcp:other'],
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator, client) => ({
        scope: 'mcp:tools mcp:other',
        audience: indicator,
        accessTokenTTL: client.clientId === 'short' ? 1 : 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

// The person at the browser: signs in as "carol" and consents to everything asked, with no page shown.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: 'carol' } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true }));
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(port, '127.0.0.1', () => console.log('ready'));
