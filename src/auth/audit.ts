/**
 * The audit trail: one log line per login, logout, write, call, delete and
 * upload (and per failed password), with time, user, client address, verb,
 * path and status. Built only from those fields: a request body, a password,
 * a token or a cookie cannot reach the line because none is passed in.
 */
import type { Logger } from '../log.js';

export interface AuditEntry {
  /** The authenticated user; for a failed login, the name that was tried. */
  readonly user?: string;
  readonly address: string;
  readonly method: string;
  /** The request path without the query string. */
  readonly path: string;
  readonly status: number;
}

/** `audit time=... user=root address=10.0.0.5 verb=PUT path=/xyz/... status=200`. */
export function auditLine(entry: AuditEntry, time: Date): string {
  return [
    'audit',
    `time=${time.toISOString()}`,
    `user=${logField(entry.user ?? '-')}`,
    `address=${logField(entry.address)}`,
    `verb=${logField(entry.method)}`,
    `path=${logField(entry.path)}`,
    `status=${entry.status}`,
  ].join(' ');
}

/**
 * Values are written bare when they are plain, else JSON-quoted, and cut at
 * 200 characters: a client chooses the user name and the path, and must not
 * be able to forge extra fields or lines.
 */
export function logField(value: string): string {
  const cut = value.length > 200 ? value.slice(0, 200) + '…' : value;
  return /^[\w@.:/%+~,-]+$/.test(cut) ? cut : JSON.stringify(cut);
}

export class AuditLog {
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(log: Logger, now: () => Date = () => new Date()) {
    this.#log = log;
    this.#now = now;
  }

  record(entry: AuditEntry): void {
    this.#log.audit(auditLine(entry, this.#now()));
  }
}
