/**
 * The gateway's method calls waiting for their replies, by serial. Each has
 * a deadline (a hung service costs one request, never the whole server) and
 * may be given up by its caller (an AbortSignal: the client left); either
 * way the entry is gone, and a reply arriving later is dropped unread.
 *
 * A reply is read by the function its caller chose: decode-json.ts for the
 * hot paths, dbus-next's decoder for the rest. A body that does not fit is
 * the service's fault and rejects the one call with InconsistentMessage.
 */
import { BusError, INCONSISTENT_MESSAGE, NO_REPLY } from './bus-error.js';
import { DecodeError } from './decode-json.js';
import { dbusNextBody, type IncomingMessage, MessageType } from './incoming.js';

/** Turns a METHOD_RETURN into the caller's result. */
export type ReplyReader<T> = (reply: IncomingMessage) => T;

interface Pending {
  settle(reply: IncomingMessage): void;
  fail(error: unknown): void;
}

export interface WaitOptions<T> {
  readonly serial: number;
  /** What was called, for error texts. */
  readonly call: { readonly busName: string; readonly interfaceName: string; readonly member: string; readonly objectPath: string };
  readonly timeoutMs: number;
  readonly read: ReplyReader<T>;
  readonly signal?: AbortSignal;
}

export class PendingCalls {
  readonly #pending = new Map<number, Pending>();

  /** Resolves with the read reply; rejects with a BusError (or the signal's reason once aborted). */
  wait<T>(options: WaitOptions<T>): Promise<T> {
    const { serial, signal, call } = options;
    const what = `${call.interfaceName}.${call.member} on ${call.objectPath}`;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.#pending.delete(serial);
      };
      const abort = () => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        reject(new BusError(NO_REPLY, `${call.busName} did not answer ${what} within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      signal?.addEventListener('abort', abort, { once: true });
      this.#pending.set(serial, {
        fail: (error) => {
          done();
          reject(error);
        },
        settle: (reply) => {
          done();
          if (reply.type === MessageType.ERROR) reject(errorOf(reply));
          else {
            try {
              resolve(options.read(reply));
            } catch (err) {
              reject(err instanceof DecodeError
                ? new BusError(INCONSISTENT_MESSAGE, `${call.busName} answered ${what} with a malformed reply: ${err.message}`)
                : BusError.from(err));
            }
          }
        },
      });
    });
  }

  /** Rejects a waiting call with `error` (a call that could not be sent). */
  fail(serial: number, error: unknown): void {
    this.#pending.get(serial)?.fail(error);
  }

  /** Settles the call a reply belongs to; false when none waits for it. */
  settle(reply: IncomingMessage): boolean {
    const pending = reply.replySerial === undefined ? undefined : this.#pending.get(reply.replySerial);
    if (!pending) return false;
    pending.settle(reply);
    return true;
  }

  get size(): number {
    return this.#pending.size;
  }
}

/** An ERROR reply as a BusError: its name, and its first argument (the text) up to the first line break. */
function errorOf(reply: IncomingMessage): BusError {
  let text = '';
  try {
    const [first] = dbusNextBody(reply);
    // As dbus-next's DBusError: a missing or empty text is ''.
    text = first ? String(first) : '';
  } catch {
    // An error whose text cannot be read is still that error.
  }
  return BusError.from({ type: reply.errorName ?? '', text });
}
