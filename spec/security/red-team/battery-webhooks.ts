/**
 * The webhook battery: deliveries to `clerkWebhook()` on every Express, signed correctly and in
 * every wrong way (another secret, a tampered body, id or timestamp, other signature versions and
 * spellings, several signatures, the Standard Webhooks headers), with every timestamp shape, every
 * body shape, oversized bodies, a body parser in front, and replays — judged by Svix's own
 * verifier when it is given (`svix`, the library Clerk's docs use): nothing Svix refuses is
 * accepted, and the handler runs only for accepted deliveries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { request, serve } from './kit';
import type { Deps } from './harness';
import type { BatteryResult, LogSink } from './battery-types';

const NOW = 1_796_310_476_000;
const T = String(NOW / 1000);

/** Svix's verifier, as the `svix` package exports it. */
export interface SvixDeps {
  readonly Webhook: new (secret: string) => { verify(payload: string, headers: Record<string, string>): unknown };
}

interface Delivery {
  readonly label: string;
  readonly headers: [string, string][];
  readonly body: string | Buffer;
  /** Expected: accepted (handler runs) or the status. */
  readonly expect: 'accept' | number | readonly number[];
  /** Sent to the route with express.json() in front. */
  readonly parsed?: boolean;
}

function signature(secret: string, id: string, timestamp: string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

export async function webhookBattery(deps: Deps, log: LogSink, svix?: SvixDeps): Promise<BatteryResult> {
  void log;
  const { pkg } = deps;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const other = `whsec_${randomBytes(24).toString('base64')}`;
  const event = JSON.stringify({ type: 'user.created', object: 'event', data: { id: 'user_webhook', object: 'user' }, event_attributes: {} });
  let ids = 0;
  const signed = (
    options: { id?: string; timestamp?: string; body?: string | Buffer; secret?: string; sign?: (sig: string) => string; names?: readonly [string, string, string] } = {},
  ): { headers: [string, string][]; body: string | Buffer } => {
    const id = options.id ?? `msg_battery_${++ids}`;
    const timestamp = options.timestamp ?? T;
    const body = options.body ?? event;
    const sig = `v1,${signature(options.secret ?? secret, id, timestamp.split('.')[0] as string, body)}`;
    const [idName, tsName, sigName] = options.names ?? ['svix-id', 'svix-timestamp', 'svix-signature'];
    return {
      headers: [
        [idName, id],
        [tsName, timestamp],
        [sigName, options.sign?.(sig) ?? sig],
        ['content-type', 'application/json'],
      ],
      body,
    };
  };
  const d = (label: string, parts: { headers: [string, string][]; body: string | Buffer }, expect: Delivery['expect'], extra: Partial<Delivery> = {}): Delivery => ({
    label,
    ...parts,
    expect,
    ...extra,
  });
  const deliveries: Delivery[] = [
    d('a valid delivery', signed(), 'accept'),
    d('the Standard Webhooks header names', signed({ names: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }), 'accept'),
    d('upper-case header names', signed({ names: ['Svix-Id', 'Svix-Timestamp', 'Svix-Signature'] }), 'accept'),
    d('another secret', signed({ secret: other }), 400),
    d('a valid and an invalid signature', signed({ sign: (sig) => `v1,${Buffer.alloc(32).toString('base64')} ${sig}` }), 'accept'),
    d('the signature as v2', signed({ sign: (sig) => sig.replace('v1,', 'v2,') }), 400),
    d('the signature as V1', signed({ sign: (sig) => sig.replace('v1,', 'V1,') }), 400),
    d('the signature without a version', signed({ sign: (sig) => sig.slice(3) }), 400),
    d('the signature in base64url', signed({ sign: (sig) => sig.replace(/\+/g, '-').replace(/\//g, '_') }), [200, 400]),
    d('the signature without padding', signed({ sign: (sig) => sig.replace(/=+$/, '') }), 400),
    d('the signature with an extra =', signed({ sign: (sig) => `${sig}=` }), 400),
    d('the signature in hex', signed({ sign: (sig) => `v1,${Buffer.from(sig.slice(3), 'base64').toString('hex')}` }), 400),
    d('the signature truncated', signed({ sign: (sig) => sig.slice(0, -4) }), 400),
    d('an empty signature', signed({ sign: () => 'v1,' }), 400),
    d('1000 wrong signatures', signed({ sign: () => Array.from({ length: 1000 }, () => `v1,${randomBytes(32).toString('base64')}`).join(' ') }), 400),
    d('a tampered body (one byte)', { ...signed(), body: event.replace('user_webhook', 'user_webhooK') }, 400),
    d('a body with a trailing newline', { ...signed(), body: `${event}\n` }, 400),
    d(
      'a tampered id',
      (() => {
        const s = signed();
        return { ...s, headers: s.headers.map<[string, string]>(([n, v]) => (n === 'svix-id' ? [n, `${v}x`] : [n, v])) };
      })(),
      400,
    ),
    d(
      'a tampered timestamp (one second)',
      (() => {
        const s = signed();
        return { ...s, headers: s.headers.map<[string, string]>(([n, v]) => (n === 'svix-timestamp' ? [n, String(Number(v) - 1)] : [n, v])) };
      })(),
      400,
    ),
    d('a timestamp 301 s old', signed({ timestamp: String(Number(T) - 301) }), 400),
    d('a timestamp 299 s old', signed({ timestamp: String(Number(T) - 299) }), 'accept'),
    d('a timestamp 301 s ahead', signed({ timestamp: String(Number(T) + 301) }), 400),
    d('a fractional timestamp', signed({ timestamp: `${T}.789` }), 'accept'),
    d('a timestamp with leading zeros', signed({ timestamp: `000${T}` }), [200, 400]),
    d('a negative timestamp', signed({ timestamp: `-${T}` }), 400),
    d('a timestamp in exponent form', signed({ timestamp: `${Number(T) / 1e9}e9` }), 400),
    d('a timestamp in hex', signed({ timestamp: `0x${Number(T).toString(16)}` }), 400),
    d('a timestamp with spaces inside', signed({ timestamp: `${T.slice(0, 3)} ${T.slice(3)}` }), 400),
    d('a timestamp of 40 digits', signed({ timestamp: '9'.repeat(40) }), 400),
    d('a timestamp in milliseconds', signed({ timestamp: String(NOW) }), 400),
    d('no svix-id', { ...signed(), headers: signed().headers.filter(([n]) => n !== 'svix-id') }, 400),
    d('no signature header', { ...signed(), headers: signed().headers.filter(([n]) => n !== 'svix-signature') }, 400),
    d('a body that is not JSON, signed', signed({ body: 'not json' }), 400),
    d('a JSON array, signed', signed({ body: '[]' }), 400),
    d('an event without data, signed', signed({ body: '{"type":"user.created"}' }), 400),
    d('an event whose type is a number, signed', signed({ body: '{"type":1,"data":{}}' }), 400),
    d('a byte-order mark before the JSON, signed', signed({ body: `\ufeff${event}` }), [200, 400]),
    d('an event with __proto__, signed', signed({ body: '{"type":"user.created","data":{},"__proto__":{"admin":true}}' }), 'accept'),
    d('a body of 2 MiB, signed', signed({ body: JSON.stringify({ type: 'user.created', data: { pad: 'x'.repeat(2 * 1024 * 1024) } }) }), 413),
    d('a valid delivery behind express.json()', signed(), [400, 500], { parsed: true }),
  ];
  const replay = signed({ id: 'msg_battery_replay' });
  deliveries.push(d('a first delivery', replay, 'accept'), d('the same delivery again (a replay)', replay, 409));

  const failures: string[] = [];
  let requests = 0;
  const real = Date.now;
  Date.now = () => NOW;
  try {
    for (const [name, express] of deps.express) {
      let reached = 0;
      const app = express();
      const handler = (req: { webhookEvent?: unknown }, res: { status(code: number): { json(body: unknown): void } }): void => {
        reached += 1;
        res.status(200).json({ received: (req.webhookEvent as { type?: unknown } | undefined)?.type ?? null });
      };
      app.post('/parsed', express.json(), pkg.clerkWebhook({ signingSecret: secret, env: {}, logger: false }), handler as never);
      app.post('/hook', pkg.clerkWebhook({ signingSecret: secret, env: {}, logger: false, replayProtection: true }), handler as never);
      const served = await serve(app, { maxHeaderSize: 128 * 1024 });
      try {
        for (const delivery of deliveries) {
          requests += 1;
          const before = reached;
          const where = `${name} › webhook ${delivery.label}`;
          let status: number;
          try {
            status = (await request(served.port, 'POST', delivery.parsed === true ? '/parsed' : '/hook', delivery.headers, delivery.body)).status;
          } catch (error) {
            failures.push(`${where}: no answer (${String(error)})`);
            continue;
          }
          const ranHandler = reached > before;
          const accepted = status === 200 && ranHandler;
          const allowed = delivery.expect === 'accept' ? [200] : typeof delivery.expect === 'number' ? [delivery.expect] : delivery.expect;
          if (!allowed.includes(status)) failures.push(`${where}: status ${status}, expected ${allowed.join(' or ')}`);
          if (ranHandler && status !== 200) failures.push(`${where}: the handler ran, status ${status}`);
          if (status === 200 && !ranHandler) failures.push(`${where}: 200 without the handler`);
          if (accepted && svix !== undefined && delivery.label !== 'the same delivery again (a replay)') {
            const headers = Object.fromEntries(delivery.headers.map(([n, v]) => [n.toLowerCase(), v]));
            try {
              new svix.Webhook(secret).verify(Buffer.isBuffer(delivery.body) ? delivery.body.toString('utf8') : delivery.body, headers);
            } catch (error) {
              failures.push(`${where}: accepted, Svix refuses (${error instanceof Error ? error.message : String(error)})`);
            }
          }
        }
      } finally {
        await served.close();
      }
    }
  } finally {
    Date.now = real;
  }
  return { name: 'webhooks', cases: deliveries.length, requests, failures, stricter: {} };
}
