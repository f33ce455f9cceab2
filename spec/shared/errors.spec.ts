import {
  bearerChallenge,
  ClerkAuthError,
  ClerkConfigError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  JwksUnavailableError,
  MissingTokenError,
} from '../../lib/shared/errors';

describe('HTTP errors', () => {
  it.each([
    [new InvalidRequestError('two tokens'), 'invalid_request', 400],
    [new MissingTokenError(), 'missing_token', 401],
    [new InvalidTokenError('expired'), 'invalid_token', 401],
    [new InsufficientScopeError(), 'insufficient_scope', 403],
    [new JwksUnavailableError('timed out'), 'jwks_unavailable', 503],
  ])('%s carries code %s and status %d in every form an error handler reads', (error, code, status) => {
    expect(error).toBeInstanceOf(ClerkAuthError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.statusCode).toBe(status);
    expect(error.expose).toBe(status < 500);
    expect(error.toJSON().error).toBe(code);
    expect(error.toJSON().message).toBe(error.expose ? error.message : "Could not load Clerk's signing keys (JWKS). Try again shortly.");
    expect(JSON.parse(JSON.stringify(error))).toEqual(error.toJSON());
    expect(Object.isFrozen(error.headers)).toBe(true);
  });

  it('names each class after itself', () => {
    expect(new InvalidTokenError('expired').name).toBe('InvalidTokenError');
    expect(new JwksUnavailableError('x').name).toBe('JwksUnavailableError');
    expect(new ClerkConfigError('x').name).toBe('ClerkConfigError');
  });

  it('challenges without an error attribute when no credentials were sent (RFC 6750 §3.1)', () => {
    expect(new MissingTokenError().headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="clerk"' });
    expect(new MissingTokenError({ realm: 'agents' }).headers['WWW-Authenticate']).toBe('Bearer realm="agents"');
  });

  it('describes a refused token in error_description and in the message', () => {
    const error = new InvalidTokenError('expired', { realm: 'clerk' });
    expect(error.reason).toBe('expired');
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="clerk", error="invalid_token", error_description="the token has expired"');
    expect(error.message).toBe('Token verification failed: the token has expired.');
  });

  it('lets a specific description replace the generic one', () => {
    const error = new InvalidTokenError('invalid_claims', { description: 'the sub claim is missing or not a string' });
    expect(error.message).toBe('Token verification failed: the sub claim is missing or not a string.');
  });

  it('answers 403 with insufficient_scope', () => {
    expect(new InsufficientScopeError().headers['WWW-Authenticate']).toBe(
      'Bearer realm="clerk", error="insufficient_scope", error_description="the user is not allowed to access this resource"',
    );
  });

  it('answers 503 with Retry-After and no challenge; the details stay out of the body', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new JwksUnavailableError('the JWKS endpoint could not be reached (ECONNREFUSED)', { cause, retryAfterSeconds: 2 });
    expect(error.headers).toEqual({ 'Retry-After': '2' });
    expect(new JwksUnavailableError('x').headers).toEqual({ 'Retry-After': '5' });
    expect(error.cause).toBe(cause);
    expect(error.problem).toBe('the JWKS endpoint could not be reached (ECONNREFUSED)');
    expect(error.message).toBe("Could not load Clerk's signing keys (JWKS): the JWKS endpoint could not be reached (ECONNREFUSED).");
    expect(error.toJSON()).toEqual({ error: 'jwks_unavailable', message: "Could not load Clerk's signing keys (JWKS). Try again shortly." });
  });

  it('escapes quotes and backslashes in challenge values', () => {
    expect(bearerChallenge('my "realm"\\x', 'invalid_token', 'say "hi"')).toBe('Bearer realm="my \\"realm\\"\\\\x", error="invalid_token", error_description="say \\"hi\\""');
  });
});

describe('stack traces', () => {
  it('a refusal (4xx) captures no stack frames: its stack is its name and message', () => {
    for (const error of [new InvalidRequestError('two tokens'), new MissingTokenError(), new InvalidTokenError('invalid_signature'), new InsufficientScopeError()]) {
      expect(error.stack).toBe(`${error.name}: ${error.message}`);
    }
  });

  it('a 5xx keeps its stack, and Error.stackTraceLimit is left as it was', () => {
    const before = Error.stackTraceLimit;
    new InvalidTokenError('expired');
    expect(Error.stackTraceLimit).toBe(before);
    const unavailable = new JwksUnavailableError('the JWKS endpoint answered 500');
    expect(unavailable.stack?.split('\n').length).toBeGreaterThan(1);
    expect(unavailable.stack).toContain('errors.spec');
  });

  it('works, with a stack, where Error.stackTraceLimit cannot be set (frozen intrinsics)', () => {
    const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit') as PropertyDescriptor;
    Object.defineProperty(Error, 'stackTraceLimit', { ...descriptor, writable: false });
    try {
      const error = new InvalidTokenError('invalid_signature');
      expect(error.status).toBe(401);
      expect(error.stack?.split('\n').length).toBeGreaterThan(1);
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', descriptor);
    }
  });
});

describe('ClerkConfigError', () => {
  it('has a stable code and names the option at fault', () => {
    const error = new ClerkConfigError('jwksUri (CLERK_JWKS_URI) is not a URL.', 'jwksUri');
    expect(error.code).toBe('invalid_config');
    expect(error.option).toBe('jwksUri');
    expect(error).not.toBeInstanceOf(ClerkAuthError);
  });
});
