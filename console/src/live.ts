/**
 * The console's one /subscribe websocket: every D-Bus event the gateway
 * sends (PropertiesChanged, InterfacesAdded, InterfacesRemoved), fanned out
 * to the views that listen. A browser cannot set headers on a websocket, so
 * the XSRF token travels as the subprotocol, as phosphor-webui did.
 *
 * Close code 1008 is a policy close: the gateway ending the session (logout
 * elsewhere, eviction, expiry, account disabled or demoted), but also a
 * client too slow for its events or a refused filter, with the session
 * intact. So on 1008 the page asks the gateway (`sessionHolds`): a 401 ends
 * the session with the close's reason; otherwise the socket is reopened
 * like after any other close, with a notice saying why it closed. Closes are
 * retried with a growing delay (1 s to 30 s), at most one connection at a
 * time: no polling.
 */
import { endSession, sessionHolds, xsrfToken } from './api.js';

export interface BusEvent {
  readonly event: 'PropertiesChanged' | 'InterfacesAdded' | 'InterfacesRemoved';
  readonly path: string;
  readonly interface?: string;
  readonly properties?: Record<string, unknown>;
  readonly interfaces?: Record<string, Record<string, unknown>> | string[];
}

type Listener = (event: BusEvent) => void;
type StatusListener = (connected: boolean) => void;
type NoticeListener = (notice: string) => void;

const FILTER = JSON.stringify({ events: ['PropertiesChanged', 'InterfacesAdded', 'InterfacesRemoved'] });

export class Live {
  readonly #listeners = new Set<Listener>();
  readonly #statusListeners = new Set<StatusListener>();
  readonly #noticeListeners = new Set<NoticeListener>();
  #socket: WebSocket | undefined;
  #retryMs = 1000;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  connected = false;

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close(1000, 'logged out');
    this.#socket = undefined;
  }

  /** Listens to every event; returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Hears why the connection was closed when the session outlived the close (a 1008 "too slow"). */
  onNotice(listener: NoticeListener): () => void {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  #retry(): void {
    this.#retryTimer = setTimeout(() => this.#open(), this.#retryMs);
    this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
  }

  #setConnected(connected: boolean): void {
    this.connected = connected;
    for (const listener of this.#statusListeners) listener(connected);
  }

  #open(): void {
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/subscribe`;
    const token = xsrfToken();
    const socket = new WebSocket(url, token ? [token] : []);
    this.#socket = socket;
    socket.onopen = () => {
      this.#retryMs = 1000;
      socket.send(FILTER);
      this.#setConnected(true);
    };
    socket.onmessage = (message) => {
      let event: BusEvent;
      try {
        event = JSON.parse(String(message.data)) as BusEvent;
      } catch {
        return;
      }
      for (const listener of this.#listeners) listener(event);
    };
    socket.onclose = (close) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#setConnected(false);
      if (this.#stopped) return;
      if (close.code !== 1008) {
        this.#retry();
        return;
      }
      const reason = close.reason || 'the gateway closed the live connection';
      void sessionHolds().then((holds) => {
        if (this.#stopped || this.#socket !== undefined) return;
        if (!holds) {
          endSession(reason);
          return;
        }
        for (const listener of this.#noticeListeners) listener(`The live connection was closed (${reason}); reconnecting.`);
        this.#retry();
      });
    };
  }
}
