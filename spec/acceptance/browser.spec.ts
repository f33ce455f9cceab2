/**
 * The example server called from a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) loads a page from a second origin, which calls the protected agent route across
 * origins with a token from the test issuer (200), then without one (401). The CORS preflight must
 * have happened and succeeded. Skipped where Chromium is absent, except in CI (CI=true), where a
 * missing Chromium fails: .ci/run installs it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../examples/server';
import { startLoopbackServer, type LoopbackServer } from '../../lib/test-kit/test-issuer';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const inCi = process.env['CI'] === 'true';

if (!available && !inCi) {
  console.warn(`spec/acceptance/browser.spec.ts skipped: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) to run the real-browser test.`);
}

/** The client page: a token field, a button, and what the API answered. */
const PAGE = (api: string) => `<!doctype html>
<meta charset="utf-8">
<title>Agent API client</title>
<input id="token" placeholder="session token">
<button id="call">GET /api/agents</button>
<p>Status: <output id="status"></output></p>
<pre id="body"></pre>
<script>
  document.querySelector('#call').addEventListener('click', async () => {
    const token = document.querySelector('#token').value;
    document.querySelector('#status').textContent = '';
    try {
      const response = await fetch(${JSON.stringify(`${api}/api/agents`)}, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
      document.querySelector('#body').textContent = await response.text();
      document.querySelector('#status').textContent = String(response.status);
    } catch (error) {
      document.querySelector('#status').textContent = 'network error: ' + error.message;
    }
  });
</script>
`;

(available || inCi ? describe : describe.skip)('the example server from a real browser (Chromium)', () => {
  let issuer: TestIssuer;
  let site: LoopbackServer;
  let api: Server;
  let apiOrigin: string;
  let context: BrowserContext;
  let profile: string;
  const preflights: { origin?: string; method?: string; headers?: string }[] = [];
  const crossOriginRequests: string[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`CI=true but there is no Chromium at ${CHROMIUM}: .ci/run must install it (apt-get install -y chromium).`);
    // The page's origin (a port of its own), then the issuer minting tokens for it (azp), then the
    // API that allows it.
    site = await startLoopbackServer((req, res) => {
      if (req.url !== '/') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE(apiOrigin));
    });
    issuer = await createTestIssuer({ authorizedParty: site.origin });
    const outer = express();
    outer.use((req, _res, next) => {
      crossOriginRequests.push(`${req.method} ${req.path}`);
      if (req.method === 'OPTIONS') {
        preflights.push({
          origin: req.get('origin'),
          method: req.get('access-control-request-method'),
          headers: req.get('access-control-request-headers'),
        });
      }
      next();
    });
    outer.use(createApp({ env: issuer.env, corsOrigins: [site.origin], logger: false }));
    api = await new Promise<Server>((resolve) => {
      const server = outer.listen(0, '127.0.0.1', () => resolve(server));
    });
    apiOrigin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    profile = mkdtempSync(path.join(tmpdir(), 'clerk-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (api === undefined ? resolve(undefined) : api.close(resolve)));
    await site?.close();
    await issuer?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  }, 60_000);

  async function callFrom(page: Page, token: string): Promise<{ status: string; body: string }> {
    await page.fill('#token', token);
    await page.click('#call');
    await page.waitForSelector('#status:not(:empty)', { timeout: 30_000 });
    return { status: (await page.textContent('#status')) ?? '', body: (await page.textContent('#body')) ?? '' };
  }

  it('shows the 200 answer with a token, after a successful preflight, and the 401 without', async () => {
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    expect(new URL(page.url()).origin).not.toBe(apiOrigin);

    const token = await issuer.mint({ sub: 'user_browser' }, { expiresInSeconds: 600 });
    const signedIn = await callFrom(page, token);
    expect(signedIn.status).toBe('200');
    expect(JSON.parse(signedIn.body)).toEqual({ agents: ['weather', 'research'], userId: 'user_browser' });

    // An Authorization header makes the request non-simple: the browser asked first, and was allowed.
    expect(preflights).toEqual([{ origin: site.origin, method: 'GET', headers: 'authorization' }]);
    expect(crossOriginRequests.slice(0, 2)).toEqual(['OPTIONS /api/agents', 'GET /api/agents']);

    const signedOut = await callFrom(page, '');
    expect(signedOut.status).toBe('401');
    expect(JSON.parse(signedOut.body)).toMatchObject({ error: 'missing_token' });
    await page.close();
  }, 60_000);
});
