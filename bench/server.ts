/**
 * One benchmark variant as its own process: `ts-node bench/server.ts <variant>`. Every variant runs
 * the same Express app and handler (`res.json({ ok: true, sub })`) behind its own authentication.
 * Settings come from the environment set by bench/run.ts; the chosen port is printed on stdout as
 * `listening <port>` once the server is ready. `GET /__cpu`, outside authentication and never hit
 * by the load, answers the CPU time the process has used, in microseconds.
 */
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { clerkAuth } from '../lib';

export const VARIANTS = ['bare', 'ours', 'ours-nocache', 'express-jwt', 'oauth2-jwt-bearer', 'clerk-express', 'mastra'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What bench/run.ts hands every variant server. */
export interface BenchServerEnv {
  JWKS_URI: string;
  ISSUER: string;
  JWT_KEY: string;
  AUTHORIZED_PARTY: string;
  PUBLISHABLE_KEY: string;
  SECRET_KEY: string;
}

/** The shared handler: the identity each variant found, or a 401 when it found none. */
function reply(sub: unknown, res: Response): void {
  if (typeof sub !== 'string') {
    res.status(401).json({ error: 'unauthenticated' });
    return;
  }
  res.json({ ok: true, sub });
}

// Every peer's refusals become the same 401, so that a misconfigured variant shows up as errors.
const unauthorized: ErrorRequestHandler = (_error, _req, res, _next) => {
  res.status(401).json({ error: 'unauthenticated' });
};

async function middlewareFor(variant: Variant, env: BenchServerEnv): Promise<{ auth: RequestHandler | null; sub: (req: Request) => unknown }> {
  switch (variant) {
    case 'bare':
      return { auth: null, sub: () => 'anonymous' };
    case 'ours':
    case 'ours-nocache':
      return {
        auth: clerkAuth({
          jwksUri: env.JWKS_URI,
          authorizedParties: [env.AUTHORIZED_PARTY],
          logger: false,
          env: {},
          ...(variant === 'ours-nocache' ? { tokenCacheSize: 0 } : {}),
        }),
        sub: (req) => req.user?.sub,
      };
    case 'express-jwt': {
      const { expressjwt } = await import('express-jwt');
      const jwksRsa = await import('jwks-rsa');
      return {
        auth: expressjwt({
          secret: jwksRsa.expressJwtSecret({ jwksUri: env.JWKS_URI, cache: true, rateLimit: true }) as never,
          algorithms: ['RS256'],
          issuer: env.ISSUER,
        }),
        sub: (req) => (req as Request & { auth?: { sub?: unknown } }).auth?.sub,
      };
    }
    case 'oauth2-jwt-bearer': {
      const { auth } = await import('express-oauth2-jwt-bearer');
      // Clerk session tokens carry no aud: an audience is mandatory, so one is given and its
      // validator turned off; everything else is default.
      return {
        auth: auth({ issuer: env.ISSUER, jwksUri: env.JWKS_URI, audience: 'unused', tokenSigningAlg: 'RS256', validators: { aud: false } }),
        sub: (req) => (req as Request & { auth?: { payload?: { sub?: unknown } } }).auth?.payload?.sub,
      };
    }
    case 'clerk-express': {
      const { clerkMiddleware, getAuth } = await import('@clerk/express');
      // Networkless: jwtKey verifies without fetching the JWKS; the keys point at a fake host.
      return {
        auth: clerkMiddleware({
          publishableKey: env.PUBLISHABLE_KEY,
          secretKey: env.SECRET_KEY,
          jwtKey: env.JWT_KEY,
          authorizedParties: [env.AUTHORIZED_PARTY],
        }),
        sub: (req) => getAuth(req).userId,
      };
    }
    case 'mastra':
      return { auth: mastraStyle(env.JWKS_URI), sub: (req) => (req as Request & { mastraUser?: { sub?: unknown } }).mastraUser?.sub };
  }
}

/**
 * Mastra's `verifyJwks` (in @mastra/auth), rebuilt: decode the token, create a new jwks-rsa client
 * for this request (so no key cache survives it), fetch the signing key, verify with jsonwebtoken.
 */
function mastraStyle(jwksUri: string): RequestHandler {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when this comparison runs */
  const jwt = require('jsonwebtoken') as typeof import('jsonwebtoken');
  const jwksClient = require('jwks-rsa') as typeof import('jwks-rsa');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return (req, _res, next) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    (async () => {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded) throw new Error('Invalid token');
      const client = jwksClient({ jwksUri });
      const key = await client.getSigningKey(decoded.header.kid);
      (req as Request & { mastraUser?: unknown }).mastraUser = jwt.verify(token, key.getPublicKey());
    })().then(() => next(), next);
  };
}

async function main(): Promise<void> {
  const variant = process.argv[2] as Variant;
  if (!VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(', ')}`);
  const { auth, sub } = await middlewareFor(variant, process.env as unknown as BenchServerEnv);
  const app = express();
  app.disable('x-powered-by');
  app.get('/__cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ cpu: user + system });
  });
  if (auth !== null) app.use(auth);
  app.get('/', (req, res) => reply(sub(req), res));
  app.use(unauthorized);
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
