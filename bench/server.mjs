/**
 * One benchmark variant as its own process: `node server.mjs <variant>`. Every variant runs the same
 * Express 5 app and handler (`res.json({ ok: true, sub })`) behind its own authentication, and a
 * shared error handler answering 401, so that a misconfigured variant shows as non-2xx. Settings
 * come from the environment set by run.mjs (BENCH_PACKAGE_DIR: the folder where the packed
 * express-clerk-jwt is installed). The port is printed on stdout as `listening <port>` once the
 * server is ready. `GET /__cpu`, outside authentication and never hit by the load, answers the CPU
 * time (user + system, all threads) the process has used, in microseconds, and the number of
 * `crypto.verify` calls it made.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

// node:crypto's one-shot signature checks, counted (ours and rsa-only verify with it): run.mjs
// checks that a step with fresh tokens ran one per request. A step whose tokens hit a cache
// measures the cache, not verification. Installed before any variant loads, so every caller sees it.
const crypto = require('node:crypto');
const verifyOnce = crypto.verify;
let signatureChecks = 0;
crypto.verify = function countedVerify(algorithm, data, key, signature, callback) {
  signatureChecks += 1;
  return verifyOnce(algorithm, data, key, signature, callback);
};

export const VARIANTS = ['bare', 'noop', 'rsa-only', 'ours', 'ours-nocache', 'express-jwt', 'oauth2-jwt-bearer', 'clerk-express', 'mastra'];

/** The packed package, installed by run.mjs (never this repository's sources). */
function ours() {
  const dir = process.env.BENCH_PACKAGE_DIR;
  if (!dir) throw new Error('BENCH_PACKAGE_DIR is not set: run.mjs installs the packed package and sets it');
  return createRequire(path.join(dir, 'noop.js'))('express-clerk-jwt');
}

/** The shared handler: the identity each variant found, or a 401 when it found none. */
function reply(sub, res) {
  if (typeof sub !== 'string') {
    res.status(401).json({ error: 'unauthenticated' });
    return;
  }
  res.json({ ok: true, sub });
}

// Every variant's refusals become the same 401, so that a misconfigured variant shows up as non-2xx.
const unauthorized = (_error, _req, res, _next) => {
  res.status(401).json({ error: 'unauthenticated' });
};

function middlewareFor(variant, env) {
  switch (variant) {
    case 'bare':
      return { auth: null, sub: () => 'anonymous' };
    case 'noop':
      // One more Express layer that does nothing: what any middleware costs before its own work.
      return { auth: (_req, _res, next) => next(), sub: () => 'anonymous' };
    case 'rsa-only': {
      // The RS256 check and nothing else (no header or claim rule, no cache, no JSON): what any
      // middleware that verifies a fresh token costs at least, with node:crypto.
      const key = crypto.createPublicKey(env.JWT_KEY);
      return {
        auth: (req, _res, next) => {
          const token = (req.headers.authorization ?? '').slice(7);
          const dot = token.lastIndexOf('.');
          next(crypto.verify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), key, Buffer.from(token.slice(dot + 1), 'base64url')) ? undefined : new Error('invalid signature'));
        },
        sub: () => 'anonymous',
      };
    }
    case 'ours':
    case 'ours-nocache':
      return {
        auth: ours().clerkAuth({
          jwksUri: env.JWKS_URI,
          authorizedParties: [env.AUTHORIZED_PARTY],
          logger: false,
          env: {},
          ...(variant === 'ours-nocache' ? { tokenCacheSize: 0 } : {}),
        }),
        sub: (req) => req.user?.sub,
      };
    case 'express-jwt': {
      const { expressjwt } = require('express-jwt');
      const jwksRsa = require('jwks-rsa');
      return {
        auth: expressjwt({ secret: jwksRsa.expressJwtSecret({ jwksUri: env.JWKS_URI, cache: true, rateLimit: true }), algorithms: ['RS256'], issuer: env.ISSUER }),
        sub: (req) => req.auth?.sub,
      };
    }
    case 'oauth2-jwt-bearer': {
      const { auth } = require('express-oauth2-jwt-bearer');
      // Clerk session tokens carry no aud: an audience is mandatory, so one is given and its
      // validator turned off; everything else is default.
      return {
        auth: auth({ issuer: env.ISSUER, jwksUri: env.JWKS_URI, audience: 'unused', tokenSigningAlg: 'RS256', validators: { aud: false } }),
        sub: (req) => req.auth?.payload?.sub,
      };
    }
    case 'clerk-express': {
      const { clerkMiddleware, getAuth } = require('@clerk/express');
      // Networkless: jwtKey verifies without fetching the JWKS; the keys point at a fake host.
      return {
        auth: clerkMiddleware({ publishableKey: env.PUBLISHABLE_KEY, secretKey: env.SECRET_KEY, jwtKey: env.JWT_KEY, authorizedParties: [env.AUTHORIZED_PARTY] }),
        sub: (req) => getAuth(req).userId,
      };
    }
    case 'mastra':
      return { auth: mastraStyle(env.JWKS_URI), sub: (req) => req.mastraUser?.sub };
    default:
      throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(', ')}`);
  }
}

/**
 * Mastra's `verifyJwks` (in @mastra/auth), rebuilt: decode the token, create a new jwks-rsa client
 * for this request (so no key cache survives it), fetch the signing key, verify with jsonwebtoken.
 */
function mastraStyle(jwksUri) {
  const jwt = require('jsonwebtoken');
  const jwksClient = require('jwks-rsa');
  return (req, _res, next) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    (async () => {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded) throw new Error('Invalid token');
      const client = jwksClient({ jwksUri });
      const key = await client.getSigningKey(decoded.header.kid);
      req.mastraUser = jwt.verify(token, key.getPublicKey());
    })().then(() => next(), next);
  };
}

function main() {
  const variant = process.argv[2];
  const express = require('express');
  const { auth, sub } = middlewareFor(variant, process.env);
  const app = express();
  app.disable('x-powered-by');
  app.get('/__cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ cpu: user + system, signatureChecks });
  });
  if (auth !== null) app.use(auth);
  app.get('/', (req, res) => reply(sub(req), res));
  app.use(unauthorized);
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
