// A real OpenID Connect provider for tests/oidc.rs and tests/browser.rs: oauth2-mock-server
// (from tests/ui's lock file) on a free loopback port, plus a small control port through
// which a test says what the next ID token holds or how it is spoiled.
//
// Prints one JSON line once both listen: {"issuer": "http://127.0.0.1:P", "control": "http://127.0.0.1:Q"}
// (the issuer named `localhost` instead with OIDC_ISSUER_HOST=localhost).
// Runs until killed (by PID) or until its stdin closes.
//
// POST {control}/next with JSON, applied to the next ID token only, then forgotten:
//   claims:  merged into the ID token (sub, email, email_verified, groups, preferred_username,
//            name, aud, nonce, …)
//   expired: true → exp and iat an hour in the past
//   tamper:  true → one character of the signature changed
// POST {control}/rotate: a new signing key (new kid) replaces the old one, whose
//   tokens the JWKS no longer lists.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The package is installed in tests/ui/node_modules (its package-lock.json pins it).
const require = createRequire(new URL('../ui/package.json', import.meta.url));
const { OAuth2Server } = await import(pathToFileURL(require.resolve('oauth2-mock-server')).href);

let next = {};
let server;

async function startProvider(port) {
  const provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  provider.service.on('beforeTokenSigning', (token) => {
    // The ID token is the one with an `aud` (the access token of a code grant has none).
    if (!('aud' in token.payload)) return;
    Object.assign(token.payload, { sub: 'johndoe' }, next.claims || {});
    if (next.expired) {
      const now = Math.floor(Date.now() / 1000);
      Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    }
  });
  provider.service.on('beforeResponse', (response) => {
    const idToken = response.body.id_token;
    if (idToken && next.tamper) {
      const cut = idToken.length - 10;
      const flipped = idToken[cut] === 'A' ? 'B' : 'A';
      response.body.id_token = idToken.slice(0, cut) + flipped + idToken.slice(cut + 1);
    }
    if (idToken) next = {};
  });
  await provider.start(port, '127.0.0.1');
  // It would say `localhost`; the tests name the address itself, unless they ask for a
  // name (OIDC_ISSUER_HOST=localhost) to see the server resolve it.
  const host = process.env.OIDC_ISSUER_HOST || '127.0.0.1';
  provider.issuer.url = `http://${host}:${new URL(provider.issuer.url).port}`;
  return provider;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (chunk) => { text += chunk; });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

const control = createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    if (req.method === 'POST' && req.url === '/next') {
      next = body ? JSON.parse(body) : {};
    } else if (req.method === 'POST' && req.url === '/rotate') {
      const port = new URL(server.issuer.url).port;
      await server.stop();
      server = await startProvider(Number(port));
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(204).end();
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
});

server = await startProvider(0);
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
const issuer = server.issuer.url;
console.log(JSON.stringify({ issuer, control: `http://127.0.0.1:${control.address().port}` }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
