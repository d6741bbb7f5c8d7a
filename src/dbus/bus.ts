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
import { BusError, MARSHAL_FAILED, NO_REPLY } from './bus-error.js';
import { installMarshalFixes } from './marshal-fixes.js';
import { MatchRules } from './match-rules.js';
import { methodCallProblem } from './message-check.js';
import { encodeMethodCall } from './wire.js';

export { BusError } from './bus-error.js';

/** A signal as the layers above see it: decoded body, no dbus-next types. */
export interface SignalMessage {
  readonly sender: string;
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly signature: string;
  readonly body: readonly unknown[];
}

export interface MethodCall {
  readonly busName: string;
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
  /** Overrides the connection's default deadline for this one call. */
  readonly timeoutMs?: number;
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
  readonly matchRules: MatchRules;
  #closed = false;
  /** Messages sent in one event-loop turn leave in one writev (see #batchWrites). */
  #corked = false;

  private constructor(bus: dbus.MessageBus, callTimeoutMs: number) {
    this.#bus = bus;
    this.#callTimeoutMs = callTimeoutMs;
    this.matchRules = new MatchRules((member, rule) =>
      this.call({
        busName: 'org.freedesktop.DBus',
        objectPath: '/org/freedesktop/DBus',
        interfaceName: 'org.freedesktop.DBus',
        member,
        signature: 's',
        body: [rule],
      }).then(() => undefined),
    );
    bus.on('message', (msg) => {
      if (msg.type !== dbus.MessageType.SIGNAL || this.#signalListeners.size === 0) return;
      const signal: SignalMessage = {
        sender: msg.sender,
        objectPath: msg.path,
        interfaceName: msg.interface,
        member: msg.member,
        signature: msg.signature ?? '',
        body: msg.body ?? [],
      };
      for (const listener of this.#signalListeners) listener(signal);
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

  get defaultTimeoutMs(): number {
    return this.#callTimeoutMs;
  }

  /**
   * Calls a method and resolves with the reply body. Rejects with BusError:
   * the service's own error, or `org.freedesktop.DBus.Error.NoReply` when the
   * deadline passes (the late reply, if any, is then dropped).
   *
   * One promise per call, settled by whichever comes first, the reply or the
   * deadline timer (no second promise raced against it: this is the hot path
   * of every read).
   */
  call(call: MethodCall): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new BusError('org.freedesktop.DBus.Error.Disconnected', 'the bus connection is closed'));
    const serial = this.#bus.newSerial();
    const timeoutMs = call.timeoutMs ?? this.#callTimeoutMs;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forgetPendingReply(serial);
        reject(new BusError(NO_REPLY,
          `${call.busName} did not answer ${call.interfaceName}.${call.member} on ${call.objectPath} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#replyHandlers()[serial] = (reply) => {
        clearTimeout(timer);
        if (reply.type === dbus.MessageType.ERROR) reject(BusError.from(new dbus.DBusError(reply.errorName ?? '', reply.body?.[0], reply)));
        else resolve(reply.body ?? []);
      };
      try {
        this.#batchWrites();
        this.#send(call, serial);
      } catch (err) {
        clearTimeout(timer);
        this.#forgetPendingReply(serial);
        reject(BusError.from(err));
      }
    });
  }

  /**
   * Writes the call; its reply goes to the handler registered under its
   * serial in dbus-next's table, as dbus-next's own call() does. A call that
   * breaks the D-Bus rules (names, signature, `o`/`g` values) is refused
   * first: the bus daemon would drop the whole connection for it. The common
   * calls are encoded by wire.ts straight into one buffer; the rest
   * (variants, structs, dicts) go through dbus-next's marshaller, which
   * throws on values it cannot send.
   */
  #send(call: MethodCall, serial: number): void {
    const problem = methodCallProblem(call);
    if (problem !== undefined) throw new BusError(MARSHAL_FAILED, `not sent, it breaks the D-Bus rules: ${problem}`);
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
    const stream = (this.#bus as unknown as { _connection: { stream: NodeJS.WritableStream & { writable: boolean } } })._connection.stream;
    if (!stream.writable) throw new Error('Cannot send message, stream is closed');
    stream.write(wire);
  }

  /** dbus-next's table of reply handlers by serial (its MessageBus calls and deletes them). */
  #replyHandlers(): Record<number, (reply: dbus.Message) => void> {
    return (this.#bus as unknown as { _methodReturnHandlers: Record<number, (reply: dbus.Message) => void> })._methodReturnHandlers;
  }

  /**
   * Corks the bus socket until the end of this event-loop turn (setImmediate
   * runs after the turn's I/O callbacks), so that the calls of every request
   * handled in the turn go out in one writev instead of one write each. A
   * write to the bus socket was the largest single cost of a small read
   * (docs/PERFORMANCE.md); a lone call waits no longer than the turn.
   */
  #batchWrites(): void {
    if (this.#corked) return;
    const stream = (this.#bus as unknown as { _connection?: { stream?: NodeJS.WritableStream & { cork?(): void; uncork?(): void } } })
      ._connection?.stream;
    if (!stream?.cork || !stream.uncork) return;
    stream.cork();
    this.#corked = true;
    setImmediate(() => {
      this.#corked = false;
      stream.uncork?.();
    });
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

  /**
   * dbus-next keeps a reply handler per serial forever when no reply comes;
   * drop it on timeout so a hung service does not grow our memory.
   */
  #forgetPendingReply(serial: number): void {
    delete this.#replyHandlers()[serial];
  }
}
