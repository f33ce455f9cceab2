import { startJwksServer, type JwksServer } from './jwks-server';
import { createTestKey, sessionClaims, type TestKey } from './keys';

/** What a spec gets from {@link useJwksFixture}; read the fields inside tests and hooks. */
export interface JwksFixture {
  /** The instance key, served by `server`. */
  readonly key: TestKey;
  /** Another instance's key, not served. */
  readonly otherKey: TestKey;
  /** A fresh JWKS server per test, serving `key`. */
  server: JwksServer;
  /** Valid session claims with `iss` = the server's origin; `overrides` win. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
}

/** Registers the hooks: two keys made once per file, a new JWKS server on 127.0.0.1 per test. */
export function useJwksFixture(): JwksFixture {
  const state = {} as { key: TestKey; otherKey: TestKey; server: JwksServer };
  beforeAll(async () => {
    [state.key, state.otherKey] = await Promise.all([createTestKey('ins_main'), createTestKey('ins_other')]);
  });
  beforeEach(async () => {
    state.server = await startJwksServer([state.key.jwk]);
  });
  afterEach(() => state.server.close());
  return {
    get key() {
      return state.key;
    },
    get otherKey() {
      return state.otherKey;
    },
    get server() {
      return state.server;
    },
    set server(next: JwksServer) {
      state.server = next;
    },
    claims: (overrides = {}) => sessionClaims(state.server.origin, overrides),
  };
}
