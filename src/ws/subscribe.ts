/**
 * One `/subscribe` websocket after the upgrade: reads filter messages, sends
 * the events the hub hands it, and keeps the peer honest.
 *
 * - Every text (or UTF-8 binary) message is a complete filter and replaces
 *   the previous one at once; a bad one closes the socket with 1008 and the
 *   reason (see filter.ts). Nothing is sent before the first filter.
 * - Events go out in the order the hub delivers them (bus order).
 * - Slow consumer: when an event is due and the bytes not yet written to the
 *   peer already pass `sendBufferBytes`, the socket is closed with 1008
 *   instead of queueing more (the close frame goes out after what is queued),
 *   so a client costs at most the bound plus one event.
 * - Heartbeat: the service calls `heartbeat()` every ping interval; a peer
 *   that has not answered the previous ping (nor sent anything) by then is
 *   terminated.
 */
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { type Filter, type FilterLimits, FilterError, closeReason, parseFilter } from './filter.js';
import type { EventSink } from './hub.js';

export interface SubscriptionLimits extends FilterLimits {
  /** Bound on the bytes queued for one client (ws.bufferedAmount) before it is closed. */
  readonly sendBufferBytes: number;
}

/** Policy violation: bad filter, or a client too slow to keep up. */
export const CLOSE_POLICY = 1008;
/** Server shutting down. */
export const CLOSE_GOING_AWAY = 1001;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class Subscription implements EventSink {
  readonly #ws: WebSocket;
  readonly #limits: SubscriptionLimits;
  readonly #log: Logger;
  /** Who and from where, for the log. */
  readonly #label: string;
  #filter: Filter | undefined;
  #alive = true;
  #closing = false;

  constructor(ws: WebSocket, limits: SubscriptionLimits, log: Logger, label: string) {
    this.#ws = ws;
    this.#limits = limits;
    this.#log = log;
    this.#label = label;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    // Without a listener an 'error' (bad frame, reset) would be thrown; ws closes the socket itself.
    ws.on('error', (err) => log.debug(`subscribe: ${label}: ${err.message}`));
  }

  get filter(): Filter | undefined {
    return this.#closing ? undefined : this.#filter;
  }

  deliver(text: string): void {
    if (this.#closing || this.#ws.readyState !== this.#ws.OPEN) return;
    // Checked before queueing more: one big event does not close a client that keeps up.
    if (this.#ws.bufferedAmount > this.#limits.sendBufferBytes) {
      this.#log.warning(`subscribe: ${this.#label}: closed, more than ${this.#limits.sendBufferBytes} bytes of events unsent`);
      this.close(CLOSE_POLICY, `too slow: more than ${this.#limits.sendBufferBytes} bytes of events unsent`);
      return;
    }
    this.#ws.send(text);
  }

  /**
   * One heartbeat tick: terminate a peer silent since the last ping, else
   * ping again. True when the peer is still there (answered since the last tick).
   */
  heartbeat(): boolean {
    if (this.#closing || this.#ws.readyState !== this.#ws.OPEN) return false;
    if (!this.#alive) {
      this.#log.info(`subscribe: ${this.#label}: no pong, connection dropped`);
      this.#closing = true;
      this.#ws.terminate();
      return false;
    }
    this.#alive = false;
    this.#ws.ping();
    return true;
  }

  /** Starts the closing handshake (ws destroys the socket if the peer never answers). */
  close(code: number, reason: string): void {
    this.#closing = true;
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) {
      this.#ws.close(code, closeReason(reason));
    }
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#alive = true;
    if (this.#closing) return;
    try {
      this.#filter = parseFilter(decode(data, isBinary), this.#limits);
    } catch (err) {
      const reason = err instanceof FilterError ? err.message : 'bad filter';
      this.#log.info(`subscribe: ${this.#label}: bad filter, closing: ${reason}`);
      this.close(CLOSE_POLICY, reason);
    }
  }
}

/** Text frames are UTF-8 already checked by ws; binary frames must be UTF-8 too. */
function decode(data: RawData, isBinary: boolean): string {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (!isBinary) return bytes.toString('utf8');
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new FilterError('filter is not valid UTF-8');
  }
}
