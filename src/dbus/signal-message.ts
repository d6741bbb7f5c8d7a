/**
 * A received signal as the layers above see it: names from the header, and
 * the body as JSON values (decode-json.ts: variants unwrapped, 64-bit exact,
 * NaN as null), decoded when a listener first asks for it. Most signals
 * reach listeners that only look at the header (or at nothing, when no
 * filter matches), so most bodies are never decoded.
 */
import type { Json } from './convert-out.js';
import { DecodeError, readBody } from './decode-json.js';
import { bodyReader, type IncomingMessage } from './incoming.js';

export interface SignalMessage {
  readonly sender: string;
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly signature: string;
  /**
   * The body's values in their JSON form, e.g. PropertiesChanged
   * `[interface, {name: value}, [invalidated]]`; `[]` when the body does not
   * fit its signature (a broken sender: nothing in it can be trusted).
   */
  readonly jsonBody: readonly Json[];
}

export class ReceivedSignal implements SignalMessage {
  readonly sender: string;
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly signature: string;
  #message: IncomingMessage | undefined;
  #jsonBody: readonly Json[] | undefined;

  constructor(message: IncomingMessage) {
    this.sender = message.sender ?? '';
    this.objectPath = message.path ?? '';
    this.interfaceName = message.interfaceName ?? '';
    this.member = message.member ?? '';
    this.signature = message.signature;
    this.#message = message;
  }

  get jsonBody(): readonly Json[] {
    if (this.#jsonBody === undefined) {
      try {
        this.#jsonBody = this.#message ? readBody(bodyReader(this.#message), this.signature) : [];
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.#jsonBody = [];
      }
      // The bytes are not needed any more.
      this.#message = undefined;
    }
    return this.#jsonBody;
  }
}
