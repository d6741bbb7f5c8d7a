/**
 * The console's one /subscribe websocket: every D-Bus event the gateway
 * sends (PropertiesChanged, InterfacesAdded, InterfacesRemoved), fanned out
 * to the views that listen. A browser cannot set headers on a websocket, so
 * the XSRF token travels as the subprotocol, as phosphor-webui did.
 *
 * Close code 1008 is the gateway ending the session (logout elsewhere,
 * eviction, expiry, account disabled or demoted: the reason says which);
 * any other close (network, gateway restart) is retried with a growing
 * delay, at most one connection at a time: no polling.
 */
import { endSession, xsrfToken } from './api.js';

export interface BusEvent {
  readonly event: 'PropertiesChanged' | 'InterfacesAdded' | 'InterfacesRemoved';
  readonly path: string;
  readonly interface?: string;
  readonly properties?: Record<string, unknown>;
  readonly interfaces?: Record<string, Record<string, unknown>> | string[];
}

type Listener = (event: BusEvent) => void;
type StatusListener = (connected: boolean) => void;

const FILTER = JSON.stringify({ events: ['PropertiesChanged', 'InterfacesAdded', 'InterfacesRemoved'] });

export class Live {
  readonly #listeners = new Set<Listener>();
  readonly #statusListeners = new Set<StatusListener>();
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
      if (close.code === 1008) {
        endSession(close.reason || 'the gateway closed the live connection');
        return;
      }
      this.#retryTimer = setTimeout(() => this.#open(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
    };
  }
}
