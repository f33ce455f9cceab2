/**
 * The load generator, as its own process (pinned by run.mjs to other cores than the server):
 * `node load.mjs '<json settings>'`. Prints the result as one JSON line.
 *
 * Two modes:
 * - `saturate`: autocannon with `connections` keep-alive connections for `durationSeconds`, as
 *   fast as the server answers (throughput; its latency is mostly queueing);
 * - `rate`: an open-loop client sending exactly `rate` requests per second over `connections`
 *   keep-alive connections, each request's latency measured in microseconds from the time it was
 *   due (so a stalled server is not hidden by the client waiting: no coordinated omission).
 *
 * With a pool of tokens each request carries the next one, round robin, so no two requests in a
 * row share a token. A pool cycles: run.mjs warms fresh-token steps up on a pool of their own, so
 * that a cache filled during the warm-up holds none of the measured tokens (bench/notes.md, finding 22).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function tokensOf(settings) {
  return readFileSync(settings.tokensFile, 'utf8').split('\n').filter(Boolean);
}

async function saturate(settings) {
  const autocannon = require('autocannon');
  const tokens = tokensOf(settings);
  let next = 0;
  const options = {
    url: settings.url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    headers: { authorization: `Bearer ${tokens[0]}` },
  };
  if (settings.tokens === 'pool') {
    options.requests = [
      {
        setupRequest: (request) => {
          const token = tokens[next];
          next = (next + 1) % tokens.length;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ];
  }
  const result = await autocannon(options);
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    status401: result.statusCodeStats['401']?.count ?? 0,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50 * 1000,
    p99: result.latency.p99 * 1000,
  };
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function fixedRate(settings) {
  const tokens = tokensOf(settings);
  const url = new URL(settings.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.connections });
  const interval = 1e9 / settings.rate; // ns between requests
  const total = Math.round(settings.rate * settings.durationSeconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let non2xx = 0;
  let status401 = 0;
  let errors = 0;
  const start = process.hrtime.bigint();
  await new Promise((resolve) => {
    const send = (index) => {
      const due = start + BigInt(Math.round(index * interval));
      const token = settings.tokens === 'pool' ? tokens[index % tokens.length] : tokens[0];
      const request = http.get({ host: url.hostname, port: url.port, path: url.pathname, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode < 200 || res.statusCode > 299) non2xx += 1;
        if (res.statusCode === 401) status401 += 1;
        res.resume();
        res.on('end', () => finish(index, due));
      });
      request.on('error', () => {
        errors += 1;
        finish(index, due);
      });
    };
    const finish = (index, due) => {
      latencies[index] = Number(process.hrtime.bigint() - due) / 1000;
      done += 1;
      if (done === total) resolve();
    };
    // Every millisecond or so, send whatever is due: the schedule, not the timer, sets the times.
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - start);
      while (sent < total && sent * interval <= elapsed) send(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    requestsPerSecond: total / settings.durationSeconds,
    requests: total,
    non2xx,
    status401,
    errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
  };
}

const settings = JSON.parse(process.argv[2]);
const result = settings.mode === 'rate' ? await fixedRate(settings) : await saturate(settings);
process.stdout.write(`${JSON.stringify(result)}\n`);
