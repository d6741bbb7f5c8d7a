/**
 * The gateway's connection to the D-Bus system bus. This folder is the only
 * place that imports dbus-next; everything above it sees plain values, the
 * BusError type and signal messages in the shape of {@link SignalMessage}.
 *
 * Why low-level messages instead of dbus-next proxy objects: a proxy costs an
 * Introspect per object (2.1 ms against 0.46 ms for a bare call, measured in
 * the toolchain check), proxies have no call timeout, and their signal
 * listeners leak match rules. Here every call carries a deadline and match
 * rules are reference-counted explicitly (see MatchRules).
 */
import dbus from 'dbus-next';
import { BusError } from './bus-error.js';
import type { Json } from './convert-out.js';
import { type BodyReader, DecodeError, readBody } from './decode-json.js';
import { type EntryReader, readEntries } from './entry-stream.js';
import { bodyReader, dbusNextBody, type IncomingMessage, interceptMessages, MessageType } from './incoming.js';
import { installMarshalFixes } from './marshal-fixes.js';
import { MatchRules } from './match-rules.js';
import { methodCallProblem } from './message-check.js';
import { DBUS_ERRORS, DBUS_INTERFACE, DBUS_NAME, DBUS_PATH } from './names.js';
import { PendingCalls, type ReplyReader } from './pending-calls.js';
import { ReceivedSignal, type SignalMessage } from './signal-message.js';
import { encodeMethodCall } from './wire.js';

export { BusError, isBusError, isTransient } from './bus-error.js';
export type { BodyReader } from './decode-json.js';
export type { SignalMessage } from './signal-message.js';

export interface MethodCall {
  readonly busName: string;
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
  /** Overrides the connection's default deadline for this one call. */
  readonly timeoutMs?: number;
  /** Gives the call up (its reply, if any comes, is dropped unread). */
  readonly signal?: AbortSignal;
}

export interface BusOptions {
  /** A D-Bus address such as `unix:path=/run/dbus/system_bus_socket`. */
  readonly address: string;
  /** Default deadline of every method call. */
  readonly callTimeoutMs: number;
}

/** The default system bus address of the D-Bus specification. */
export const SYSTEM_BUS_ADDRESS = 'unix:path=/var/run/dbus/system_bus_socket';

type SignalListener = (signal: SignalMessage) => void;

export class BusConnection {
  readonly #bus: dbus.MessageBus;
  readonly #callTimeoutMs: number;
  readonly #signalListeners = new Set<SignalListener>();
  readonly #closeListeners = new Set<(reason: Error) => void>();
  readonly #pending = new PendingCalls();
  readonly matchRules: MatchRules;
  #closed = false;
  /** Encoded calls of this event-loop turn, written together at its end (see #flush). */
  #outgoing: Buffer[] = [];

  private constructor(bus: dbus.MessageBus, callTimeoutMs: number) {
    this.#bus = bus;
    this.#callTimeoutMs = callTimeoutMs;
    this.matchRules = new MatchRules((member, rule) =>
      this.call({
        busName: DBUS_NAME,
        objectPath: DBUS_PATH,
        interfaceName: DBUS_INTERFACE,
        member,
        signature: 's',
        body: [rule],
      }).then(() => undefined),
    );
    interceptMessages(this.#socket(), {
      take: (message) => this.#receive(message),
      entries: (message) => this.#pending.stream(message),
    });
  }

  /**
   * Connects and completes the Hello handshake. Rejects when the bus cannot be
   * reached within the call deadline, so a wrong address fails start-up loudly.
   */
  static async connect(options: BusOptions): Promise<BusConnection> {
    installMarshalFixes();
    const bus = dbus.sessionBus({ busAddress: options.address });
    const connection = new BusConnection(bus, options.callTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`cannot connect to D-Bus at ${options.address}: no answer`)),
        options.callTimeoutMs,
      );
      bus.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      bus.once('error', (err: unknown) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to D-Bus at ${options.address}: ${String(err)}`));
      });
    });
    connection.#watchForLoss(bus);
    return connection;
  }

  /** The connection's unique name (`:1.42`). */
  get uniqueName(): string {
    return (this.#bus as unknown as { name: string }).name;
  }

  /**
   * Calls a method and resolves with the reply body as dbus-next decodes it
   * (variants wrapped, 64-bit as BigInt, `ay` as a Buffer): for the calls
   * off the hot paths (writes, actions), whose values go back through the
   * conversion module. Rejects with BusError: the service's own error, or
   * `org.freedesktop.DBus.Error.NoReply` when the deadline passes.
   */
  call(call: MethodCall): Promise<unknown[]> {
    return this.#request(call, dbusNextBody);
  }

  /**
   * Calls a method whose reply has the signature `replySignature` and
   * resolves with the reply's values in their JSON form (decode-json.ts:
   * one pass over the bytes, no dbus-next objects). A reply of another
   * signature, or one that breaks the wire format, rejects with
   * `org.freedesktop.DBus.Error.InconsistentMessage`.
   */
  callJson(call: MethodCall, replySignature: string): Promise<Json[]> {
    return this.callWith(call, replySignature, (reader) => readBody(reader, replySignature));
  }

  /**
   * Like callJson, but the reply's body goes to `read`, which reads it
   * straight into the caller's own structures (enumerate reads GetAll
   * replies into its JSON text this way) and must read it to its end.
   */
  callWith<T>(call: MethodCall, replySignature: string, read: (reader: BodyReader) => T): Promise<T> {
    return this.#request(call, (reply) => {
      if (reply.signature !== replySignature) throw new DecodeError(`signature '${reply.signature}', expected '${replySignature}'`);
      const reader = bodyReader(reply);
      const value = read(reader);
      if (reader.pos !== reader.end) throw new DecodeError(`${reader.end - reader.pos} bytes after the last value`);
      return value;
    });
  }

  /**
   * For a reply that is one dict of a string or path to an array
   * (`a{s a…}`, `a{o a…}`: GetSubTree, GetManagedObjects): each entry goes to
   * `entry`, which reads its key and value. A big reply is read so while it
   * arrives (entry-stream.ts), never held whole: the bus socket's chunks are
   * all that is in memory of it at a time.
   */
  callEntries(call: MethodCall, replySignature: string, entry: EntryReader): Promise<void> {
    // The entry stream pads each value array to 8 bytes after its length, which is right only for
    // arrays of 8-aligned elements (dicts, structs, 64-bit numbers): a{sas} would be mis-framed.
    if (!/^a\{[so]a[{(xtd]/.test(replySignature)) {
      throw new TypeError(`callEntries reads dicts of a string or path to an array of 8-aligned elements, not '${replySignature}'`);
    }
    return this.#request(call, (reply) => {
      if (reply.signature !== replySignature) throw new DecodeError(`signature '${reply.signature}', expected '${replySignature}'`);
      const reader = bodyReader(reply);
      readEntries(reader, entry);
      if (reader.pos !== reader.end) throw new DecodeError(`${reader.end - reader.pos} bytes after the last value`);
    }, { signature: replySignature, read: entry });
  }

  /**
   * One promise per call, settled by whichever comes first: the reply, the
   * deadline timer or the caller's abort signal (no second promise raced
   * against it: this is the hot path of every read).
   */
  #request<T>(call: MethodCall, read: ReplyReader<T>, entries?: { signature: string; read: EntryReader }): Promise<T> {
    if (this.#closed) return Promise.reject(new BusError(DBUS_ERRORS.Disconnected, 'the bus connection is closed'));
    if (call.signal?.aborted) return Promise.reject(call.signal.reason);
    const serial = this.#bus.newSerial();
    const reply = this.#pending.wait({ serial, call, timeoutMs: call.timeoutMs ?? this.#callTimeoutMs, read, entries, signal: call.signal });
    try {
      this.#send(call, serial);
    } catch (err) {
      this.#pending.fail(serial, BusError.from(err));
    }
    return reply;
  }

  /**
   * Every message received, before dbus-next sees it (incoming.ts): replies
   * to the gateway's calls settle them; a reply nobody waits for any more
   * (deadline passed, caller gone) is dropped unread; signals go to the
   * listeners, their bodies decoded only if a listener asks. Method calls to
   * the gateway (Peer.Ping, ...) and replies to dbus-next's own calls
   * (Hello) are left to dbus-next.
   */
  #receive(message: IncomingMessage): boolean {
    switch (message.type) {
      case MessageType.METHOD_RETURN:
      case MessageType.ERROR:
        if (this.#pending.settle(message)) return true;
        return message.replySerial === undefined || !(message.replySerial in this.#replyHandlers());
      case MessageType.SIGNAL: {
        if (this.#signalListeners.size === 0) return true;
        const signal = new ReceivedSignal(message);
        for (const listener of this.#signalListeners) {
          try {
            listener(signal);
          } catch {
            // One listener's fault must not keep the signal from the others, nor end the
            // daemon (dbus-next, which delivered signals before, swallowed it too).
          }
        }
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Writes the call (its reply settles it in #pending, see #receive). A
   * call that breaks the D-Bus rules (names, signature, `o`/`g` values) is
   * refused first: the bus daemon would drop the whole connection for it.
   * The common calls are encoded by wire.ts straight into one buffer; the rest
   * (variants, structs, dicts) go through dbus-next's marshaller, which
   * throws on values it cannot send.
   */
  #send(call: MethodCall, serial: number): void {
    const problem = methodCallProblem(call);
    if (problem !== undefined) throw new BusError(DBUS_ERRORS.Failed, `not sent, it breaks the D-Bus rules: ${problem}`);
    const wire = encodeMethodCall({
      serial,
      destination: call.busName,
      objectPath: call.objectPath,
      interfaceName: call.interfaceName,
      member: call.member,
      signature: call.signature ?? '',
      body: call.body ?? [],
    });
    if (!wire) {
      // Keep the order of calls: what is queued goes first.
      this.#flush();
      this.#bus.send(new dbus.Message({
        serial,
        destination: call.busName,
        path: call.objectPath,
        interface: call.interfaceName,
        member: call.member,
        signature: call.signature ?? '',
        body: [...(call.body ?? [])],
      }));
      return;
    }
    if (!this.#socket().writable) throw new Error('Cannot send message, stream is closed');
    if (this.#outgoing.push(wire) === 1) setImmediate(() => this.#flush());
  }

  /**
   * Writes the calls queued in this event-loop turn (setImmediate runs after
   * the turn's I/O callbacks) as one buffer in one write, instead of one
   * write each: a write to the bus socket was the largest single cost of a
   * small read, and an enumerate makes a thousand calls (docs/PERFORMANCE.md).
   * A lone call waits no longer than the turn.
   */
  #flush(): void {
    const queued = this.#outgoing;
    if (queued.length === 0) return;
    this.#outgoing = [];
    const stream = this.#socket();
    // A lost connection fails its calls at their deadlines (and ends the daemon, see main.ts).
    if (stream.writable) stream.write(queued.length === 1 ? queued[0]! : Buffer.concat(queued));
  }

  /** The socket to the bus daemon, under dbus-next's connection. */
  #socket(): NodeJS.WritableStream & { writable: boolean } {
    return (this.#bus as unknown as { _connection: { stream: NodeJS.WritableStream & { writable: boolean } } })._connection.stream;
  }

  /** dbus-next's table of reply handlers by serial (for its own calls, such as Hello). */
  #replyHandlers(): Record<number, (reply: dbus.Message) => void> {
    return (this.#bus as unknown as { _methodReturnHandlers: Record<number, (reply: dbus.Message) => void> })._methodReturnHandlers;
  }

  /** Listens to every signal the connection receives (match rules decide which). */
  onSignal(listener: SignalListener): () => void {
    this.#signalListeners.add(listener);
    return () => this.#signalListeners.delete(listener);
  }

  /** Called once if the connection to the bus daemon is lost. */
  onClose(listener: (reason: Error) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Releases every match rule still held, then disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.matchRules.releaseAll().catch(() => undefined);
    this.#closed = true;
    this.#signalListeners.clear();
    this.#bus.disconnect();
  }

  #watchForLoss(bus: dbus.MessageBus): void {
    // MessageBus does not forward its stream's 'end'; its connection does.
    const connection = (bus as unknown as { _connection: NodeJS.EventEmitter })._connection;
    const lost = (reason: Error) => {
      if (this.#closed) return;
      this.#closed = true;
      for (const listener of this.#closeListeners) listener(reason);
    };
    connection.on('end', () => lost(new Error('the D-Bus daemon closed the connection')));
    bus.on('error', (err: unknown) => lost(err instanceof Error ? err : new Error(String(err))));
  }
}
