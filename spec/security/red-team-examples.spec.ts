/**
 * Red team: the example server (examples/server.ts, what users copy) attacked through real HTTP —
 * every method, with and without preflight headers, on paths its mounts and routes might read
 * differently, with no credentials, forged and expired tokens, and a member where an admin is
 * needed. Nothing protected may answer with data or a 2xx; only /health and OPTIONS (which the cors
 * middleware mounted first answers itself, 204 with no body) may.
 */
import http from 'node:http';
import { createApp } from '../../examples/server';
import { createTestIssuer, type TestIssuer } from '../../lib/testing';
import { request, serve, type Served } from './red-team/kit';

const CLIENT = 'http://localhost:5173';
const METHODS = http.METHODS.filter((method) => method !== 'CONNECT');
const PATHS = [
  '/api/agents',
  '/API/AGENTS',
  '/api/agents/',
  '/api/agents//',
  '/api/agents;x',
  '/api/agents?x=1',
  '/api/agents/weather/generate',
  '/api/agents/weather/generate/',
  '/api/agents/%77eather/generate',
  '/api/Agents/weather/generate',
  '/api//agents',
  '/%61pi/agents',
  '/api/agents/../admin/usage',
  '/api/admin/usage',
  '/api/admin/usage/',
  '/API/ADMIN/USAGE',
  '/api/admin//usage',
  '/api/admin/%75sage',
  '/api/admin/usage?admin=true',
  '/api/agents/..%2Fadmin%2Fusage',
];

let issuer: TestIssuer;
let server: Served;
const tokens = {} as { member: string; admin: string; forged: string; expired: string };
beforeAll(async () => {
  issuer = await createTestIssuer({ authorizedParty: CLIENT });
  const other = await createTestIssuer({ authorizedParty: CLIENT, kid: issuer.kid });
  tokens.member = await issuer.mint({ sub: 'user_member' }, { organization: { id: 'org_1', role: 'member' }, expiresInSeconds: 600 });
  tokens.admin = await issuer.mint({ sub: 'user_admin' }, { organization: { id: 'org_1', role: 'admin' }, expiresInSeconds: 600 });
  tokens.forged = await other.mint({ sub: 'user_admin', iss: issuer.issuer }, { organization: { id: 'org_1', role: 'admin' }, expiresInSeconds: 600 });
  tokens.expired = await issuer.mint({ sub: 'user_admin' }, { organization: { id: 'org_1', role: 'admin' }, expiresInSeconds: -60 });
  await other.close();
  server = await serve(createApp({ env: issuer.env, logger: false, corsOrigins: [CLIENT] }));
});
afterAll(async () => {
  await server.close();
  await issuer.close();
});

/** Whether an answer gives away data only an authenticated user may see. */
const leaks = (body: string): boolean => /"agents"|"generations"|"userId"|"orgId"|Hello from/.test(body);

describe('the example server under attack', () => {
  it('never answers data on a protected path without valid credentials, whatever the method or path spelling', async () => {
    const problems: string[] = [];
    let sent = 0;
    for (const path of PATHS) {
      for (const method of METHODS) {
        for (const [label, headers] of [
          ['no credentials', []],
          [
            'a preflight',
            [
              ['origin', CLIENT],
              ['access-control-request-method', 'POST'],
              ['access-control-request-headers', 'authorization'],
            ],
          ],
          ['a forged admin token', [['authorization', `Bearer ${tokens.forged}`]]],
          ['an expired admin token', [['authorization', `Bearer ${tokens.expired}`]]],
          ['a token in the query', []],
        ] as [string, [string, string][]][]) {
          sent += 1;
          const target = label === 'a token in the query' ? `${path}${path.includes('?') ? '&' : '?'}token=${tokens.admin}` : path;
          const answer = await request(server.port, method, target, headers);
          if (leaks(answer.body)) problems.push(`${method} ${path} with ${label}: ${answer.status} ${answer.body.slice(0, 80)}`);
          // The cors middleware, mounted first, answers every OPTIONS itself (204, no body).
          if (answer.status >= 200 && answer.status < 300 && !(method === 'OPTIONS' && answer.status === 204 && answer.body === '')) {
            problems.push(`${method} ${path} with ${label}: ${answer.status}`);
          }
          if (answer.status >= 500) problems.push(`${method} ${path} with ${label}: ${answer.status}`);
        }
      }
    }
    expect(sent).toBeGreaterThan(3000);
    expect(problems).toEqual([]);
    // Over 3000 requests: about 3 s alone, more while the whole suite shares the machine.
  }, 60_000);

  it('never lets a member read the admin route, however the path is spelt', async () => {
    const problems: string[] = [];
    for (const path of PATHS.filter((candidate) => /admin|ADMIN/.test(candidate))) {
      for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS']) {
        const answer = await request(server.port, method, path, [['authorization', `Bearer ${tokens.member}`]]);
        if (answer.status === 200 || leaks(answer.body)) problems.push(`${method} ${path}: ${answer.status} ${answer.body.slice(0, 80)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('still serves what it should: /health, agents to a member, usage to an admin', async () => {
    expect((await request(server.port, 'GET', '/health')).status).toBe(200);
    expect((await request(server.port, 'GET', '/api/agents', [['authorization', `Bearer ${tokens.member}`]])).status).toBe(200);
    expect((await request(server.port, 'GET', '/api/admin/usage', [['authorization', `Bearer ${tokens.admin}`]])).status).toBe(200);
    const preflight = await request(server.port, 'OPTIONS', '/api/agents', [
      ['origin', CLIENT],
      ['access-control-request-method', 'GET'],
      ['access-control-request-headers', 'authorization'],
    ]);
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(CLIENT);
  });
});
