/**
 * HTTPS to the gateway for the bench: one keep-alive agent trusting the
 * gateway's certificate, a login, timed GETs and a streamed upload.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Agent, request } from 'node:https';

export interface GatewayClient {
  readonly url: URL;
  readonly agent: Agent;
  readonly ca: string;
  token: string;
}

export function gatewayClient(url: string, ca: string): GatewayClient {
  return { url: new URL(url), agent: new Agent({ keepAlive: true, maxSockets: 64, ca, servername: 'localhost' }), ca, token: '' };
}

export interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

type Body = Buffer | string | { pipe(to: NodeJS.WritableStream): unknown };

/** One request; a stream body (a file) is piped, so it is never held in memory. */
function exchange(client: GatewayClient, method: string, path: string, headers: Record<string, string>, body?: Body): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: client.url.hostname, port: client.url.port, path, method, agent: client.agent,
      headers: { ...(client.token ? { 'x-auth-token': client.token } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

export function send(client: GatewayClient, method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  return exchange(client, method, path, options.headers ?? {}, options.body);
}

/** POST /login; the token goes on every later request as X-Auth-Token (what openbmctool and scripts do). */
export async function login(client: GatewayClient, user: string, password: string): Promise<string> {
  const answer = await send(client, 'POST', '/login', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: [user, password] }),
  });
  if (answer.status !== 200) throw new Error(`login failed: ${answer.status} ${answer.body.toString()}`);
  client.token = (JSON.parse(answer.body.toString()) as { token: string }).token;
  return client.token;
}

/** Streams a file as the raw body of POST /upload/image. */
export async function upload(client: GatewayClient, file: string): Promise<Answer> {
  const size = (await stat(file)).size;
  return exchange(client, 'POST', '/upload/image',
    { 'content-type': 'application/octet-stream', 'content-length': String(size) }, createReadStream(file));
}
