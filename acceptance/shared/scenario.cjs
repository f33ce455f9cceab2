'use strict';
/**
 * What every setup must do with the packed package, whatever loaded it: the test kit's issuer
 * mints tokens that clerkAuth() verifies on a real Express app; a guard behind it sees what it
 * verified (the request marks); errors are instances of the one ClerkAuthError class. The caller
 * imports the package its own way (import, require, a bundle, a transpiler) and passes the
 * modules in, possibly each loaded differently: `main` and `guards` are the main entry point.
 */
// No require() here: esbuild's ESM output could not load Node's built-ins from this CommonJS file.
const assert = {
  ok(value, what) {
    if (value !== true) throw new Error(`expected ${what}`);
  },
  equal(actual, expected, what = JSON.stringify(expected)) {
    if (!Object.is(actual, expected)) throw new Error(`expected ${what}, got ${typeof actual === 'function' ? actual.name : JSON.stringify(actual)}`);
  },
};

module.exports = async function scenario({ main, guards = main, core, testing, express }) {
  const issuer = await testing.createTestIssuer();
  const app = express();
  app.get('/admin', main.clerkAuth({ env: issuer.env, logger: false }), guards.requireRole('org:admin'), (req, res) => {
    res.json({ sub: req.user.sub, orgId: guards.getAuth(req).orgId });
  });
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${server.address().port}/admin`;
    const get = async (token) => {
      const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.text() };
    };
    const admin = await issuer.mint({ sub: 'user_admin' }, { organization: { id: 'org_1', role: 'admin' } });
    const allowed = await get(admin);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body, JSON.stringify({ sub: 'user_admin', orgId: 'org_1' }));
    const member = await issuer.mint({ sub: 'user_member' }, { organization: { id: 'org_1' } });
    assert.equal((await get(member)).status, 403);
    assert.equal((await get()).status, 401);
    assert.equal((await get('not.a.token')).status, 401);

    const error = await main
      .createClerkVerifier({ env: issuer.env, logger: false })
      .verify('not.a.token')
      .then(
        () => null,
        (caught) => caught,
      );
    assert.ok(error instanceof main.InvalidTokenError, 'InvalidTokenError');
    assert.ok(error instanceof guards.ClerkAuthError, 'ClerkAuthError of the guards');
    assert.ok(error instanceof core.ClerkAuthError, 'ClerkAuthError of the core');
    assert.equal(core.ClerkAuthError, main.ClerkAuthError, 'the same ClerkAuthError from the core');
    assert.equal(core.createClerkVerifier, guards.createClerkVerifier, 'the same createClerkVerifier from the core');
    assert.equal('createTestIssuer' in main, false, 'no test kit in the main entry point');
    return 'ok';
  } finally {
    server.close();
    server.closeAllConnections();
    await issuer.close();
  }
};
