/**
 * Fixes for three values dbus-next 0.10.2 cannot *send*, although they are
 * valid D-Bus and it *receives* them fine:
 *
 * - dicts keyed by y n q i u b d: dbus-next turns a dict object into entries
 *   with `Object.keys`, so every key reaches the number or boolean marshaller
 *   as a string ("7", "true") and is refused. The conversion module
 *   (convert-in.ts) already writes keys in canonical form, so decimal and
 *   true/false strings are turned back into the value here;
 * - INT64_MIN: its int64 lower bound constant is -2^63+1;
 * - NaN and ±Infinity doubles ("Data: NaN was not a number"): OpenBMC sensors
 *   use them (thresholds default to NaN), so the simulated BMC must send them.
 *
 * marshall.js looks `MakeSimpleMarshaller` up on the marshallers module at
 * each call, so wrapping that export is enough. It is process-wide and
 * idempotent; everything else is left to dbus-next's own marshallers.
 */
import { createRequire } from 'node:module';

interface PutStream {
  put(buf: Buffer): unknown;
  _offset: number;
}

interface SimpleMarshaller {
  check(data: unknown): unknown;
  marshall(ps: PutStream, data: unknown): void;
}

interface MarshallersModule {
  MakeSimpleMarshaller: (signature: string) => SimpleMarshaller;
  [PATCHED]?: true;
}

const PATCHED = Symbol.for('bmc-rest-gateway.dbus.marshalFixes');
const INT64_MIN = -(2n ** 63n);
/** The canonical decimal form convert-in.ts gives integer and double dict keys. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

export function installMarshalFixes(): void {
  const marshallers = createRequire(import.meta.url)('dbus-next/lib/marshallers.js') as MarshallersModule;
  if (marshallers[PATCHED]) return;
  const original = marshallers.MakeSimpleMarshaller;
  marshallers.MakeSimpleMarshaller = (signature: string): SimpleMarshaller => {
    const marshaller = original(signature);
    switch (signature) {
      case 'y': case 'n': case 'q': case 'i': case 'u':
        return withKeyFromString(marshaller, (key) => (DECIMAL.test(key) ? Number(key) : key));
      case 'b':
        return withKeyFromString(marshaller, (key) => (key === 'true' ? true : key === 'false' ? false : key));
      case 'd':
        return doubles(withKeyFromString(marshaller, (key) => (DECIMAL.test(key) ? Number(key) : key)));
      case 'x':
        return int64Min(marshaller);
      default:
        return marshaller;
    }
  };
  marshallers[PATCHED] = true;
}

/** A string reaching a number or boolean marshaller can only be a dict key. */
function withKeyFromString(marshaller: SimpleMarshaller, parse: (key: string) => unknown): SimpleMarshaller {
  const fromKey = (data: unknown) => (typeof data === 'string' ? parse(data) : data);
  return {
    check: (data) => marshaller.check(fromKey(data)),
    marshall: (ps, data) => marshaller.marshall(ps, fromKey(data)),
  };
}

function doubles(marshaller: SimpleMarshaller): SimpleMarshaller {
  return {
    check: (data) => (typeof data === 'number' && !Number.isFinite(data) ? data : marshaller.check(data)),
    marshall(ps, data) {
      if (typeof data !== 'number' || Number.isFinite(data)) return marshaller.marshall(ps, data);
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(data, 0);
      put8Aligned(ps, buf);
    },
  };
}

function int64Min(marshaller: SimpleMarshaller): SimpleMarshaller {
  const isMin = (data: unknown) => (typeof data === 'bigint' && data === INT64_MIN)
    || (typeof data === 'string' && data === INT64_MIN.toString());
  return {
    check: (data) => (isMin(data) ? data : marshaller.check(data)),
    marshall(ps, data) {
      if (!isMin(data)) return marshaller.marshall(ps, data);
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(INT64_MIN, 0);
      put8Aligned(ps, buf);
    },
  };
}

/** Same layout as dbus-next's own 8-byte values: zero padding to 8, then the bytes. */
function put8Aligned(ps: PutStream, buf: Buffer): void {
  const pad = (8 - (ps._offset % 8)) % 8;
  if (pad > 0) {
    ps.put(Buffer.alloc(pad));
    ps._offset += pad;
  }
  ps.put(buf);
  ps._offset += 8;
}
