import type { IncomingHttpHeaders } from 'node:http';
import type { JWK } from 'jose';
import { startLoopbackServer } from '../../lib/test-kit/test-issuer';

/** How the server answers JWKS requests. */
export type JwksBehaviour =
  | 'ok'
  | 'error500'
  | 'html'
  | 'not-jwks'
  | 'redirect'
  | 'unauthorized'
  | 'slow'
  | 'drop-mid-body'
  /** 200 with `{"keys":[]}`. */
  | 'empty-set'
  /** 200 with every key marked `use: enc`: none may verify a signature. */
  | 'wrong-use'
  /** 200 with every key marked `alg: RS384`: none may verify an RS256 session token. */
  | 'wrong-alg';

/** A real JWKS endpoint on 127.0.0.1 (port 0) that counts what it is asked. */
export interface JwksServer {
  readonly origin: string;
  /** `<origin>/.well-known/jwks.json`; `<origin>/v1/jwks` answers the same (Backend API shape). */
  readonly jwksUri: string;
  /** Number of key-set requests received. */
  readonly requests: number;
  /** Headers of the last key-set request. */
  readonly lastHeaders: IncomingHttpHeaders | undefined;
  keys: JWK[];
  behaviour: JwksBehaviour;
  /** Takes the port down (connections refused) until start(). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[], options: { slowMs?: number } = {}): Promise<JwksServer> {
  let requests = 0;
  let lastHeaders: IncomingHttpHeaders | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const state = { keys, behaviour: 'ok' as JwksBehaviour };

  const server = await startLoopbackServer(
    (req, res) => {
      if (req.url !== '/.well-known/jwks.json' && req.url !== '/v1/jwks') {
        res.writeHead(404).end();
        return;
      }
      requests += 1;
      lastHeaders = req.headers;
      const body = JSON.stringify({ keys: state.keys });
      switch (state.behaviour) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json' }).end(body);
          return;
        case 'error500':
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[]}');
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Welcome</title>');
          return;
        case 'not-jwks':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
          return;
        case 'redirect':
          res.writeHead(302, { location: '/elsewhere' }).end();
          return;
        case 'unauthorized':
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"authentication_invalid"}]}');
          return;
        case 'slow': {
          const timer = setTimeout(() => {
            timers.delete(timer);
            res.writeHead(200, { 'content-type': 'application/json' }).end(body);
          }, options.slowMs ?? 2000);
          timers.add(timer);
          return;
        }
        case 'empty-set':
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
          return;
        case 'wrong-use':
        case 'wrong-alg': {
          const change = state.behaviour === 'wrong-use' ? { use: 'enc' } : { alg: 'RS384' };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((key) => ({ ...key, ...change })) }));
          return;
        }
        case 'drop-mid-body':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
          res.write(body.slice(0, 10), () => res.destroy());
          return;
      }
    },
    {
      onStop: () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
      },
    },
  );
  const origin = server.origin;
  return {
    origin,
    jwksUri: `${origin}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    get keys() {
      return state.keys;
    },
    set keys(next: JWK[]) {
      state.keys = next;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next: JwksBehaviour) {
      state.behaviour = next;
    },
    stop: server.stop,
    start: server.start,
    close: server.close,
  };
}
