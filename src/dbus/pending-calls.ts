/**
 * The gateway's method calls waiting for their replies, by serial. Each has
 * a deadline (a hung service costs one request, never the whole server) and
 * may be given up by its caller (an AbortSignal: the client left); either
 * way the entry is gone, and a reply arriving later is dropped unread.
 *
 * A reply is read by the function its caller chose: decode-json.ts or
 * decode-text.ts for the hot paths, dbus-next's decoder for the rest. A body
 * that does not fit is the service's fault and rejects the one call with
 * InconsistentMessage.
 *
 * One object per call, no closures: this is the path of every bus call, and
 * an enumerate makes a thousand of them.
 */
import { BusError } from './bus-error.js';
import { DBUS_ERRORS } from './names.js';
import { DecodeError } from './decode-json.js';
import type { EntryConsumer, EntryReader } from './entry-stream.js';
import { dbusNextBody, type IncomingMessage, MessageType } from './incoming.js';

/** Turns a METHOD_RETURN into the caller's result. */
export type ReplyReader<T> = (reply: IncomingMessage) => T;

/** What was called, for error texts. */
export interface CallName {
  readonly busName: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly objectPath: string;
}

export interface WaitOptions<T> {
  readonly serial: number;
  readonly call: CallName;
  readonly timeoutMs: number;
  readonly read: ReplyReader<T>;
  /** A reply of this signature may also be read entry by entry as it arrives (entry-stream.ts); the call then resolves with undefined. */
  readonly entries?: { readonly signature: string; readonly read: EntryReader } | undefined;
  readonly signal?: AbortSignal | undefined;
}

class PendingCall<T> {
  readonly #calls: Map<number, PendingCall<unknown>>;
  readonly #options: WaitOptions<T>;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #settled = false;

  constructor(calls: Map<number, PendingCall<unknown>>, options: WaitOptions<T>, resolve: (value: T) => void, reject: (error: unknown) => void) {
    this.#calls = calls;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(() => this.fail(this.#deadlinePassed()), options.timeoutMs);
    options.signal?.addEventListener('abort', this, { once: true });
  }

  /** The abort signal's listener (an object, so no closure per call). */
  handleEvent(): void {
    this.fail(this.#options.signal?.reason);
  }

  #done(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener('abort', this);
    this.#calls.delete(this.#options.serial);
  }

  fail(error: unknown): void {
    this.#done();
    this.#reject(error);
  }

  settle(reply: IncomingMessage): void {
    this.#done();
    if (reply.type === MessageType.ERROR) {
      this.#reject(errorOf(reply));
      return;
    }
    let value: T;
    try {
      value = this.#options.read(reply);
    } catch (err) {
      this.#reject(err instanceof DecodeError ? this.#malformed(err) : BusError.from(err));
      return;
    }
    this.#resolve(value);
  }

  /**
   * The consumer of a big reply read entry by entry, if this call reads its
   * replies so; the call stays waiting (deadline, abort) until the body ends.
   */
  stream(reply: IncomingMessage): EntryConsumer | undefined {
    const entries = this.#options.entries;
    if (!entries || reply.type !== MessageType.METHOD_RETURN || reply.signature !== entries.signature) return undefined;
    return {
      // After a deadline or an abort the rest of the body is skipped unread.
      entry: (reader) => {
        if (!this.#settled) entries.read(reader);
      },
      end: (error) => {
        if (this.#settled) return;
        this.#done();
        if (error) this.#reject(this.#malformed(error));
        else this.#resolve(undefined as T);
      },
    };
  }

  #malformed(error: DecodeError): BusError {
    const { busName, interfaceName, member, objectPath } = this.#options.call;
    return new BusError(DBUS_ERRORS.InconsistentMessage, `${busName} answered ${interfaceName}.${member} on ${objectPath} with a malformed reply: ${error.message}`);
  }

  #deadlinePassed(): BusError {
    const { busName, interfaceName, member, objectPath } = this.#options.call;
    return new BusError(DBUS_ERRORS.NoReply, `${busName} did not answer ${interfaceName}.${member} on ${objectPath} within ${this.#options.timeoutMs} ms`);
  }
}

export class PendingCalls {
  readonly #calls = new Map<number, PendingCall<unknown>>();

  /** Resolves with the read reply; rejects with a BusError (or the signal's reason once aborted). */
  wait<T>(options: WaitOptions<T>): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(options.serial, new PendingCall(this.#calls, options, resolve, reject) as PendingCall<unknown>);
    });
  }

  /** Rejects a waiting call with `error` (a call that could not be sent). */
  fail(serial: number, error: unknown): void {
    this.#calls.get(serial)?.fail(error);
  }

  /** For a big reply (its body not read yet): the consumer of its entries, if its call reads it so. */
  stream(reply: IncomingMessage): EntryConsumer | undefined {
    return reply.replySerial === undefined ? undefined : this.#calls.get(reply.replySerial)?.stream(reply);
  }

  /** Settles the call a reply belongs to; false when none waits for it. */
  settle(reply: IncomingMessage): boolean {
    const pending = reply.replySerial === undefined ? undefined : this.#calls.get(reply.replySerial);
    if (!pending) return false;
    pending.settle(reply);
    return true;
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
