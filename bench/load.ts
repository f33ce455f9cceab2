/**
 * The load generator, as its own process: `ts-node bench/load.ts '<json settings>'`. Runs autocannon
 * for the given time and prints the result as one JSON line.
 * With a pool of tokens each request carries the next one, so no two requests in a row share a
 * token and a pool larger than any cache never hits it.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Settings from bench/run.ts. */
export interface LoadSettings {
  url: string;
  /** A file of tokens, one a line; empty for no Authorization header. */
  tokensFile: string;
  /** `one`: the first token on every request; `pool`: the next token of the file on each request. */
  mode: 'none' | 'one' | 'pool';
  connections: number;
  durationSeconds: number;
}

/** What the load process prints. */
export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  /** Answers with a 401, the expected answer to a bad token. */
  status401: number;
  errors: number;
  timeouts: number;
}

function run(settings: LoadSettings): Promise<autocannon.Result> {
  const tokens = settings.mode === 'none' ? [] : readFileSync(settings.tokensFile, 'utf8').split('\n').filter(Boolean);
  let next = 0;
  const options: autocannon.Options = {
    url: settings.url,
    connections: settings.connections,
    duration: settings.durationSeconds,
    headers: tokens.length > 0 ? { authorization: `Bearer ${tokens[0]}` } : {},
  };
  if (settings.mode === 'pool') {
    options.requests = [
      {
        setupRequest: (request) => {
          const token = tokens[next] as string;
          next = (next + 1) % tokens.length;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ];
  }
  return autocannon(options);
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] as string) as LoadSettings;
  const result = await run(settings);
  const summary: LoadResult = {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    status401: (result.statusCodeStats as Record<string, { count: number } | undefined>)['401']?.count ?? 0,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
