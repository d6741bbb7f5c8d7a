/**
 * Salted scrypt password hashes for the users file (node:crypto only).
 *
 * Format: `scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>`. The cost
 * parameters travel with each hash, so they can be raised later without
 * invalidating old entries. The default N = 2^14, r = 8 (16 MiB, tens of ms
 * on a PC, more on a BMC's CPU) is a compromise for a small machine; scrypt
 * runs on libuv's thread pool, not on the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

interface ParsedHash extends ScryptParams {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, params, KEY_LENGTH);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Throws a description of what is wrong with a stored hash (checked when the file is loaded). */
export function parseHash(text: string): ParsedHash {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new Error('expected scrypt$N$r$p$salt$hash');
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) throw new Error('N must be a power of two up to 2^20');
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) throw new Error('r or p out of range');
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16) throw new Error('salt or hash too short');
  return { N, r, p, salt, hash };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  const candidate = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node refuses above 32 MiB by default; allow what these parameters need.
    const maxmem = 256 * params.N * params.r + 1024 * 1024;
    scrypt(password.normalize('NFC'), salt, length, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
