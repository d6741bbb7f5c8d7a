/**
 * A real `ws` client for `/subscribe` tests: collects events in arrival order
 * and waits on them (or on the close) with bounded timeouts, never sleeps.
 *
 * Synchronising with the server without sleeping: the server reads frames in
 * order and applies a filter synchronously when its message arrives, and the
 * match rules are in place before the 101. So once the pong for a ping sent
 * after the filter is back, the filter is live (`setFilter`).
 */
import type { IncomingMessage } from 'node:http';
import { type ClientOptions, WebSocket } from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export interface Refusal {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
  readonly json: any;
}

export interface ConnectOptions {
  /** Extra request headers (credentials, Origin, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly protocols?: readonly string[];
  /** Passed on to the ws client (e.g. autoPong: false). */
  readonly ws?: ClientOptions;
}

export const DEFAULT_WAIT_MS = 10_000;

export class Subscriber {
  readonly messages: any[] = [];
  /** The same messages as received (JSON.parse loses 64-bit precision). */
  readonly texts: string[] = [];
  readonly closed: Promise<Closed>;
  #cursor = 0;
  #wake: (() => void) | undefined;
  #closedWith: Closed | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.texts.push(String(data));
      this.messages.push(JSON.parse(String(data)));
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#closedWith = { code, reason: reason.toString() };
        this.#wake?.();
        resolve(this.#closedWith);
      });
    });
    ws.on('error', () => undefined);
  }

  /** Sends a filter (object or raw text) and resolves once the server has applied it. */
  async setFilter(filter: unknown): Promise<void> {
    this.ws.send(typeof filter === 'string' ? filter : JSON.stringify(filter));
    await this.sync();
  }

  /** Ping/pong round trip: every message sent before it has been handled by the server. */
  sync(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return bounded(new Promise<void>((resolve, reject) => {
      const onPong = () => {
        this.ws.off('close', onClose);
        resolve();
      };
      const onClose = (code: number, reason: Buffer) => {
        this.ws.off('pong', onPong);
        reject(new Error(`closed (${code} ${reason.toString()}) before the pong`));
      };
      this.ws.once('pong', onPong);
      this.ws.once('close', onClose);
      this.ws.ping();
    }), timeoutMs, 'pong');
  }

  /** The next message not yet returned by next(). */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    while (this.#cursor >= this.messages.length) {
      if (this.#closedWith) throw new Error(`closed (${this.#closedWith.code} ${this.#closedWith.reason}) while waiting for a message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms (got ${this.messages.length})`);
      await bounded(new Promise<void>((resolve) => (this.#wake = resolve)), left, 'message').catch(() => undefined);
      this.#wake = undefined;
    }
    return this.messages[this.#cursor++];
  }

  /** Skips messages until one passes `predicate`; returns it. */
  async until(predicate: (message: any) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (predicate(message)) return message;
    }
  }

  /** Closes (if open) and waits for the close to finish. */
  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    return bounded(this.closed, DEFAULT_WAIT_MS, 'close').catch(() => {
      this.ws.terminate();
      return this.closed;
    });
  }
}

function wsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/subscribe`;
}

function clientOptions(certificate: string | undefined, options: ConnectOptions): ClientOptions {
  return {
    headers: { ...options.headers },
    ...(certificate ? { ca: certificate, servername: 'localhost' } : {}),
    ...options.ws,
  };
}

/** Opens a subscription; rejects when the upgrade is refused. */
export async function connectSubscriber(baseUrl: string, certificate: string | undefined, options: ConnectOptions = {}): Promise<Subscriber> {
  const ws = new WebSocket(wsUrl(baseUrl), [...(options.protocols ?? [])], clientOptions(certificate, options));
  const subscriber = new Subscriber(ws);
  await bounded(new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  }), DEFAULT_WAIT_MS, 'open').catch((err: unknown) => {
    ws.terminate();
    throw err;
  });
  return subscriber;
}

/**
 * Attempts an upgrade that must be refused: resolves with the HTTP answer,
 * rejects if the server switched protocols instead.
 */
export function expectRefusal(baseUrl: string, certificate: string | undefined, options: ConnectOptions = {}): Promise<Refusal> {
  const ws = new WebSocket(wsUrl(baseUrl), [...(options.protocols ?? [])], clientOptions(certificate, options));
  return bounded(new Promise<Refusal>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('upgrade', () => {
      ws.terminate();
      reject(new Error('the server answered 101 Switching Protocols'));
    });
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
  }), DEFAULT_WAIT_MS, 'refusal');
}

/** Rejects when `promise` has not settled within `ms`; clears its timer either way. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
