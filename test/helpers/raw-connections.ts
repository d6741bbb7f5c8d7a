/**
 * Connections that misbehave on purpose, for the connection tests: TCP that
 * says nothing, TLS that stops after its ClientHello, TLS that never sends
 * a request, request heads that never finish, and raw request bytes whose
 * whole answer is collected until the server closes.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Target {
  readonly url: string;
  readonly ca: string;
  /** Local source address (e.g. 127.0.0.2) instead of the default. */
  readonly localAddress?: string;
}

function hostPort(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

/** Resolves once connected; the socket never sends anything. Errors are swallowed (the server may cut it). */
export function silentTcp(target: Target): Promise<Socket> {
  const { host, port } = hostPort(target.url);
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
    socket.once('connect', () => {
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

let clientHello: Promise<Buffer> | undefined;

/** The bytes a Node TLS client sends first (its ClientHello), captured once from a local listener. */
function captureClientHello(): Promise<Buffer> {
  return (clientHello ??= new Promise<Buffer>((resolve, reject) => {
    const server = createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      const client = tlsConnect({ host: '127.0.0.1', port: address.port, servername: 'localhost', rejectUnauthorized: false });
      client.on('error', () => undefined);
    });
  }));
}

/** Sends a ClientHello and then nothing: the handshake never finishes. */
export async function silentTls(target: Target): Promise<Socket> {
  const hello = await captureClientHello();
  const socket = await silentTcp(target);
  socket.write(hello);
  return socket;
}

/** Finishes the TLS handshake and sends nothing. */
export function tlsNoRequest(target: Target): Promise<TLSSocket> {
  const { host, port } = hostPort(target.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ca: target.ca, servername: 'localhost', ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** TLS, then the start of a request head that never ends. */
export async function partialHead(target: Target): Promise<TLSSocket> {
  const socket = await tlsNoRequest(target);
  socket.write('GET /xyz/openbmc_project/state/host0 HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
  return socket;
}

export interface Exchange {
  /** Everything the server sent. */
  readonly text: string;
  /** True when the server ended the connection (false: we gave up waiting). */
  readonly closedByServer: boolean;
}

/** Sends raw bytes over TLS and collects the answer until the server closes, or `waitMs`. */
export async function rawExchange(target: Target, bytes: string | Buffer, waitMs = 10_000): Promise<Exchange> {
  const socket = await tlsNoRequest(target);
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
    socket.write(bytes);
  });
}

/** Resolves 'closed' if the server closes the socket within `ms`, else 'open'. */
export function closedWithin(socket: Socket, ms: number): Promise<'closed' | 'open'> {
  if (socket.destroyed || socket.readyState === 'closed') return Promise.resolve('closed');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('close', onClose);
      resolve('open');
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve('closed');
    };
    socket.once('close', onClose);
    socket.resume();
  });
}
