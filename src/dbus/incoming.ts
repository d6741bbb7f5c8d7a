/**
 * Received messages, framed and their headers read by the gateway itself,
 * so that a reply's body can go to decode-json.ts instead of through
 * dbus-next's decoder (and so that nobody's body is decoded before someone
 * asks for it).
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
 *
 * A message whose header breaks the format (lengths beyond the
 * specification's 128 MiB, a bad byte order mark or version) leaves no way
 * to find the next one: the socket is destroyed with an error, which the
 * connection reports as lost. A message with a readable frame but a bad
 * header field or body is dropped alone (dbus-next would throw out of its
 * socket handler and end the process).
 */
import { createRequire } from 'node:module';
import { BodyReader, DecodeError, jsonReader } from './decode-json.js';
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
  /**
   * Everything after the fixed 16-byte header: the header fields, their
   * padding, the body. Offsets here are 16 less than in the message, which
   * keeps alignment (16 is a multiple of 8).
   */
  readonly bytes: Buffer;
  readonly bodyStart: number;
}

/** A reader over the message's body. */
export function bodyReader(message: IncomingMessage): BodyReader {
  return new BodyReader(message.bytes, message.bodyStart, message.bytes.length, message.littleEndian);
}

/** Takes a message (true) or leaves it to dbus-next (false). */
export type MessageInterceptor = (message: IncomingMessage) => boolean;

const LITTLE = 0x6c; // 'l'
const BIG = 0x42; // 'B'
/** The specification's limits: a whole message at most 128 MiB, an array (the header fields) at most 64 MiB. */
const MAX_MESSAGE = 1 << 27;
const MAX_FIELDS = 1 << 26;

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
  if (message.signature === '' || message.bodyStart === message.bytes.length) return undefined;
  const DBusBuffer = require('dbus-next/lib/dbus-buffer.js') as DBusBufferClass;
  // DBusBuffer reads from its buffer's first byte; the body starts 8-aligned, so alignment is the message's.
  const body = message.bytes.subarray(message.bodyStart);
  // No unix fds: the gateway never passes them (it refuses `h`), so a body with one is unreadable.
  return new DBusBuffer(body, 0, message.littleEndian ? LITTLE : BIG, null, options).read(message.signature);
}

/**
 * Frames the socket's bytes into messages. The socket flows (no
 * `read(n)`, which copies through the stream's buffer list): a message that
 * lies within one chunk is a view of it, one that spans chunks is copied
 * together once.
 */
function readMessages(stream: Readable, interceptor: MessageInterceptor, onMessage: (message: object) => void, options: object): void {
  const chunks: Buffer[] = [];
  let buffered = 0;
  let header: Buffer | undefined;
  let need = 16;
  const take = (bytes: number): Buffer => {
    buffered -= bytes;
    const first = chunks[0]!;
    if (first.length > bytes) {
      chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    if (first.length === bytes) return chunks.shift()!;
    const out = Buffer.allocUnsafe(bytes);
    for (let at = 0; at < bytes;) {
      const chunk = chunks[0]!;
      const part = Math.min(chunk.length, bytes - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(part);
    }
    return out;
  };
  stream.on('data', (data: Buffer | { data: Buffer }) => {
    const chunk = Buffer.isBuffer(data) ? data : data.data;
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= need) {
      if (header === undefined) {
        header = take(16);
        try {
          need = frameLength(header);
        } catch (err) {
          stream.destroy(err as Error);
          chunks.length = 0;
          return;
        }
        continue;
      }
      const fixed = header;
      const bytes = take(need);
      header = undefined;
      need = 16;
      let message: IncomingMessage;
      try {
        message = parseMessage(fixed, bytes);
      } catch (err) {
        if (err instanceof DecodeError) continue;
        throw err;
      }
      if (interceptor(message)) continue;
      const legacy = legacyMessage(message, options);
      if (legacy) onMessage(legacy);
    }
  });
}

/** Bytes after the fixed header: the fields padded to 8, then the body. */
function frameLength(header: Buffer): number {
  const endian = header[0];
  if (endian !== LITTLE && endian !== BIG) throw new Error(`D-Bus protocol error: byte order mark 0x${(endian ?? 0).toString(16)}`);
  if (header[3] !== 1) throw new Error(`D-Bus protocol error: protocol version ${header[3]}`);
  const little = endian === LITTLE;
  const bodyLength = little ? header.readUInt32LE(4) : header.readUInt32BE(4);
  const fieldsLength = little ? header.readUInt32LE(12) : header.readUInt32BE(12);
  const total = 16 + ((fieldsLength + 7) & ~7) + bodyLength;
  if (fieldsLength === 0 || fieldsLength > MAX_FIELDS || total > MAX_MESSAGE) {
    throw new Error(`D-Bus protocol error: a message of ${fieldsLength} header and ${bodyLength} body bytes`);
  }
  return total - 16;
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
    readonly bytes: Buffer,
    readonly bodyStart: number,
  ) {}
}

/** The fixed header and the header fields (`a(yv)`, starting right after the 16 bytes). */
export function parseMessage(fixed: Buffer, bytes: Buffer): IncomingMessage {
  const littleEndian = fixed[0] === LITTLE;
  const fieldsLength = littleEndian ? fixed.readUInt32LE(12) : fixed.readUInt32BE(12);
  const message = new Received(fixed[1]!, fixed[2]!, littleEndian ? fixed.readUInt32LE(8) : fixed.readUInt32BE(8), littleEndian,
    bytes, (fieldsLength + 7) & ~7);
  const reader = new BodyReader(bytes, 0, fieldsLength, littleEndian);
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
