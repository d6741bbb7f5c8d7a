/**
 * Received messages, framed and their headers read by the gateway itself,
 * so that a reply's body can go to decode-json.ts or decode-text.ts instead
 * of through dbus-next's decoder (and so that nobody's body is decoded before
 * someone asks for it).
 *
 * dbus-next reads its socket in `unmarshalMessages` (lib/message.js), which
 * its connection looks up on the module when the handshake is done; that
 * export is wrapped here, process-wide and idempotent, like the marshal
 * fixes. A socket registered with `interceptMessages` is read by
 * `readMessages` below; every other socket (the simulated BMC's, a test's)
 * keeps dbus-next's own reader. On a registered socket each message goes to
 * the interceptor first; what it does not take is decoded the dbus-next way
 * and handed to dbus-next's connection as before (method calls to the
 * gateway, such as Peer.Ping, and the replies to dbus-next's own Hello).
 * A big body (over 64 KiB) that the interceptor can read entry by entry
 * (entry-stream.ts) is read so while it arrives, never held whole.
 *
 * A message whose header breaks the format (lengths beyond the
 * specification's 128 MiB, a bad byte order mark or version) leaves no way
 * to find the next one: the socket is destroyed with an error, which the
 * connection reports as lost. A message with a readable frame but a bad
 * header field or body is dropped alone (dbus-next would throw out of its
 * socket handler and end the process).
 */
import { createRequire } from 'node:module';
import { ByteQueue } from './byte-queue.js';
import { BodyReader, DecodeError, jsonReader } from './decode-json.js';
import { type EntryConsumer, EntryStream } from './entry-stream.js';
import { parseSingleType } from './signature.js';

export const MessageType = { METHOD_CALL: 1, METHOD_RETURN: 2, ERROR: 3, SIGNAL: 4 } as const;

export interface IncomingMessage {
  readonly type: number;
  readonly flags: number;
  readonly serial: number;
  readonly littleEndian: boolean;
  readonly path?: string;
  readonly interfaceName?: string;
  readonly member?: string;
  readonly errorName?: string;
  readonly replySerial?: number;
  readonly destination?: string;
  readonly sender?: string;
  readonly signature: string;
  /** The body (its first byte is 8-aligned in the message, so alignment holds from 0). */
  readonly body: Buffer;
}

/** A reader over the message's body. */
export function bodyReader(message: IncomingMessage): BodyReader {
  return new BodyReader(message.body, 0, message.body.length, message.littleEndian);
}

/** What the bus connection does with the messages of its socket. */
export interface MessageInterceptor {
  /** Takes a message (true) or leaves it to dbus-next (false). */
  take(message: IncomingMessage): boolean;
  /**
   * For a big body, before it arrives (`message.body` is still empty): the
   * consumer that reads it entry by entry, or undefined to read it whole.
   */
  entries(message: IncomingMessage): EntryConsumer | undefined;
}

const LITTLE = 0x6c; // 'l'
const BIG = 0x42; // 'B'
/** The specification's limits: a whole message at most 128 MiB, an array (the header fields) at most 64 MiB. */
const MAX_MESSAGE = 1 << 27;
const MAX_FIELDS = 1 << 26;
/** Bodies above this are read entry by entry when the interceptor can (entry-stream.ts). */
const STREAM_ABOVE = 64 * 1024;

interface Readable {
  on(event: 'data', listener: (chunk: Buffer | { data: Buffer }) => void): unknown;
  destroy(error?: Error): unknown;
}

type DbusNextReader = (stream: Readable, onMessage: (message: object) => void, options: object) => void;

interface MessageModule {
  unmarshalMessages: DbusNextReader;
  [PATCHED]?: true;
}

interface DBusBufferClass {
  new (buffer: Buffer, start: number, endian: number, fds: unknown, options: object): { read(signature: string): unknown[] };
}

const PATCHED = Symbol.for('bmc-rest-gateway.dbus.incoming');
const require = createRequire(import.meta.url);
const interceptors = new WeakMap<object, MessageInterceptor>();

/**
 * Reads the messages of `stream` (a dbus-next connection's socket, before
 * its handshake ends) with this module, offering each to `interceptor`.
 */
export function interceptMessages(stream: object, interceptor: MessageInterceptor): void {
  const messages = require('dbus-next/lib/message.js') as MessageModule;
  if (!messages[PATCHED]) {
    const original = messages.unmarshalMessages;
    messages.unmarshalMessages = (socket, onMessage, options) => {
      const registered = interceptors.get(socket);
      if (registered) readMessages(socket, registered, onMessage, options);
      else original(socket, onMessage, options);
    };
    messages[PATCHED] = true;
  }
  interceptors.set(stream, interceptor);
}

/**
 * The body as dbus-next's connection would have delivered it (variants
 * wrapped, 64-bit as BigInt, `ay` as a Buffer).
 * @throws whatever dbus-next's decoder throws for a body it cannot read.
 */
export function dbusNextBody(message: IncomingMessage): unknown[] {
  const { messageToJsFmt } = require('dbus-next/lib/marshall-compat.js') as {
    messageToJsFmt(msg: { signature: string; body: unknown[] }): { body: unknown[] };
  };
  return messageToJsFmt({ signature: message.signature, body: dbusNextRead(message, {}) ?? [] }).body;
}

/** dbus-next's first decoding pass over the body (its "marshaller format"); undefined for no body. */
function dbusNextRead(message: IncomingMessage, options: object): unknown[] | undefined {
  if (message.signature === '' || message.body.length === 0) return undefined;
  const DBusBuffer = require('dbus-next/lib/dbus-buffer.js') as DBusBufferClass;
  // No unix fds: the gateway never passes them (it refuses `h`), so a body with one is unreadable.
  return new DBusBuffer(message.body, 0, message.littleEndian ? LITTLE : BIG, null, options).read(message.signature);
}

/**
 * Frames the socket's bytes into messages. The socket flows (no `read(n)`,
 * which copies through the stream's buffer list): a message that lies
 * within one chunk is a view of it, one that spans chunks is copied together
 * once, and a big one the interceptor reads entry by entry is never whole.
 */
function readMessages(stream: Readable, interceptor: MessageInterceptor, onMessage: (message: object) => void, options: object): void {
  const queue = new ByteQueue();
  let state: 'fixed' | 'whole' | 'fields' | 'body' | 'stream' | 'skip' = 'fixed';
  let fixed: Buffer = Buffer.alloc(0);
  let frame = { fields: 0, body: 0 };
  /** A big message whose header is read, waiting for its body. */
  let waiting: Received | undefined;
  let streaming: EntryStream | undefined;
  let skipping = 0;
  const deliver = (message: IncomingMessage) => {
    if (interceptor.take(message)) return;
    const legacy = legacyMessage(message, options);
    if (legacy) onMessage(legacy);
  };
  stream.on('data', (data: Buffer | { data: Buffer }) => {
    queue.push(Buffer.isBuffer(data) ? data : data.data);
    for (;;) {
      switch (state) {
        case 'fixed':
          if (queue.length < 16) return;
          fixed = queue.take(16);
          try {
            frame = frameLengths(fixed);
          } catch (err) {
            stream.destroy(err as Error);
            queue.clear();
            return;
          }
          state = frame.body > STREAM_ABOVE ? 'fields' : 'whole';
          break;
        case 'whole': {
          if (queue.length < frame.fields + frame.body) return;
          const bytes = queue.take(frame.fields + frame.body);
          state = 'fixed';
          const message = parsed(fixed, bytes.subarray(0, frame.fields), bytes.subarray(frame.fields));
          if (message) deliver(message);
          break;
        }
        case 'fields': {
          // A big body: read the header first, the interceptor may take the body entry by entry.
          if (queue.length < frame.fields) return;
          const message = parsed(fixed, queue.take(frame.fields), Buffer.alloc(0));
          const consumer = message && interceptor.entries(message);
          if (consumer) {
            streaming = new EntryStream(consumer, frame.body, message.littleEndian);
            state = 'stream';
          } else if (message) {
            waiting = message;
            state = 'body';
          } else {
            skipping = frame.body;
            state = 'skip';
          }
          break;
        }
        case 'body':
          if (queue.length < frame.body) return;
          waiting!.body = queue.take(frame.body);
          state = 'fixed';
          deliver(waiting!);
          waiting = undefined;
          break;
        case 'stream':
          if (!streaming!.advance(queue)) return;
          streaming = undefined;
          state = 'fixed';
          break;
        case 'skip': {
          const bytes = Math.min(skipping, queue.length);
          queue.skip(bytes);
          skipping -= bytes;
          if (skipping > 0) return;
          state = 'fixed';
          break;
        }
      }
    }
  });
}

/** parseMessage, or undefined for a header that breaks the format (the message is dropped). */
function parsed(fixed: Buffer, fields: Buffer, body: Buffer): Received | undefined {
  try {
    return parseMessage(fixed, fields, body);
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
}

/** The header fields' length (padded to 8) and the body's, from the fixed header. */
function frameLengths(fixed: Buffer): { fields: number; body: number } {
  const endian = fixed[0];
  if (endian !== LITTLE && endian !== BIG) throw new Error(`D-Bus protocol error: byte order mark 0x${(endian ?? 0).toString(16)}`);
  if (fixed[3] !== 1) throw new Error(`D-Bus protocol error: protocol version ${fixed[3]}`);
  const little = endian === LITTLE;
  const body = little ? fixed.readUInt32LE(4) : fixed.readUInt32BE(4);
  const fieldsLength = little ? fixed.readUInt32LE(12) : fixed.readUInt32BE(12);
  const fields = (fieldsLength + 7) & ~7;
  if (fieldsLength === 0 || fieldsLength > MAX_FIELDS || 16 + fields + body > MAX_MESSAGE) {
    throw new Error(`D-Bus protocol error: a message of ${fieldsLength} header and ${body} body bytes`);
  }
  return { fields, body };
}

/** A received message (one shape for all, for the JIT's sake). */
class Received implements IncomingMessage {
  path: string | undefined = undefined;
  interfaceName: string | undefined = undefined;
  member: string | undefined = undefined;
  errorName: string | undefined = undefined;
  replySerial: number | undefined = undefined;
  destination: string | undefined = undefined;
  sender: string | undefined = undefined;
  signature = '';

  constructor(
    readonly type: number,
    readonly flags: number,
    readonly serial: number,
    readonly littleEndian: boolean,
    /** Set later for a big body read whole (see readMessages). */
    public body: Buffer,
  ) {}
}

/**
 * The fixed header and the header fields (`a(yv)`, the bytes right after the
 * fixed 16, with their padding), and the body.
 */
export function parseMessage(fixed: Buffer, fields: Buffer, body: Buffer): Received {
  const littleEndian = fixed[0] === LITTLE;
  const fieldsLength = littleEndian ? fixed.readUInt32LE(12) : fixed.readUInt32BE(12);
  const message = new Received(fixed[1]!, fixed[2]!, littleEndian ? fixed.readUInt32LE(8) : fixed.readUInt32BE(8), littleEndian, body);
  if (fieldsLength > fields.length) throw new DecodeError('message truncated (in the header fields)');
  const reader = new BodyReader(fields, 0, fieldsLength, littleEndian);
  while (reader.pos < fieldsLength) {
    reader.align(8);
    const code = reader.byte();
    const signature = reader.signature();
    if (signature === 's' || signature === 'o') {
      const value = reader.string();
      switch (code) {
        case 1: message.path = value; break;
        case 2: message.interfaceName = value; break;
        case 3: message.member = value; break;
        case 4: message.errorName = value; break;
        case 6: message.destination = value; break;
        case 7: message.sender = value; break;
      }
    } else if (signature === 'g') {
      const value = reader.signature();
      if (code === 8) message.signature = value;
    } else if (signature === 'u') {
      const value = reader.uint32();
      if (code === 5) message.replySerial = value;
    } else {
      // Unknown fields must be ignored (specification), whatever their type.
      jsonReader(parseFieldType(signature))(reader);
    }
  }
  if (reader.pos !== fieldsLength) throw new DecodeError('header field crosses the end of the header');
  return message;
}

function parseFieldType(signature: string) {
  try {
    return parseSingleType(signature);
  } catch (err) {
    throw new DecodeError(`header field: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The message in the shape dbus-next's reader hands its connection (which
 * then converts the body and builds its Message); undefined when dbus-next
 * could not read the body either.
 */
function legacyMessage(message: IncomingMessage, options: object): object | undefined {
  let body: unknown[] | undefined;
  try {
    body = dbusNextRead(message, options);
  } catch {
    return undefined;
  }
  return {
    serial: message.serial,
    type: message.type,
    flags: message.flags,
    ...(message.path !== undefined ? { path: message.path } : {}),
    ...(message.interfaceName !== undefined ? { interface: message.interfaceName } : {}),
    ...(message.member !== undefined ? { member: message.member } : {}),
    ...(message.errorName !== undefined ? { errorName: message.errorName } : {}),
    ...(message.replySerial !== undefined ? { replySerial: message.replySerial } : {}),
    ...(message.destination !== undefined ? { destination: message.destination } : {}),
    ...(message.sender !== undefined ? { sender: message.sender } : {}),
    ...(message.signature !== '' ? { signature: message.signature } : {}),
    ...(body !== undefined ? { body } : {}),
  };
}
