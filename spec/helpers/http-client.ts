import http, { type IncomingHttpHeaders, type RequestListener } from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** An HTTP server on 127.0.0.1 (port 0) around a request listener such as an Express app. */
export interface TestServer {
  readonly port: number;
  close(): Promise<void>;
}

/** What came back from the server. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Serves `app` on 127.0.0.1. `maxHeaderSize` raises Node's 16 KiB header limit, to let oversized
 * headers reach the app instead of Node's own 431.
 */
export async function serve(app: RequestListener, options: { maxHeaderSize?: number } = {}): Promise<TestServer> {
  const server = http.createServer(options, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const agent = new http.Agent({ keepAlive: false });

/**
 * Sends a GET with exactly these headers, in order; a name may repeat (Node's client sends each
 * pair as its own line). Values must be valid for Node's client; use {@link sendRaw} otherwise.
 */
export function send(port: number, path: string, headers: [string, string][] = []): Promise<Answer> {
  const flat = [['host', `127.0.0.1:${port}`], ...headers].flat();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: flat }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends raw header lines (no validation at all) and returns the status of the answer, for bytes
 * that Node's client refuses to send (control characters, obsolete line folding…).
 */
export function sendRaw(port: number, path: string, headerLines: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      if (status === undefined) reject(new Error('the server closed the connection without an HTTP answer'));
      else resolve(Number(status));
    });
    socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${headerLines}\r\n`, 'latin1');
  });
}
