/**
 * Secrets for sessions: random tokens and constant-time comparison. Pure
 * apart from the system's random source.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 below 256: bytes at or above it are dropped, so every letter is equally likely. */
const UNBIASED_LIMIT = 248;

/** Session tokens: 32 letters and digits, about 190 bits. */
export const TOKEN_LENGTH = 32;

/**
 * A token of letters and digits only: it goes into a cookie, a header and a
 * websocket subprotocol, and none of them needs quoting for it.
 */
export function randomToken(length = TOKEN_LENGTH): string {
  let token = '';
  while (token.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      token += ALPHABET[byte % ALPHABET.length];
      if (token.length === length) break;
    }
  }
  return token;
}

/** Whether a client-supplied string can be one of our tokens at all. */
export function isTokenShaped(text: string): boolean {
  return text.length === TOKEN_LENGTH && /^[A-Za-z0-9]+$/.test(text);
}

/**
 * Compares two secrets in time independent of where they differ. Digests
 * first, because timingSafeEqual needs equal lengths and the length of a
 * client's guess must not change the timing either.
 */
export function safeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}
