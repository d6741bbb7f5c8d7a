/**
 * The audit trail: one log line per login, logout, write, call, delete and
 * upload (and per failed password), with time, user, client address, verb,
 * path, status and, for writes and calls, the values sent. Built only from
 * those fields: a request body, a password, a token or a cookie cannot reach
 * the line because none is passed in, and the values sent are redacted
 * before they are written: a property or argument whose name looks like a
 * secret (password, token, key, ...), and every argument of a method of the
 * user management interfaces (`xyz.openbmc_project.User.*`: CreateUser,
 * RenameUser, LDAP configuration) or of a method named like one.
 */
import type { WrittenValue } from '../bmc/writes.js';
import type { Logger } from '../log.js';

export interface AuditEntry {
  /** The authenticated user; for a failed login, the name that was tried. */
  readonly user?: string;
  readonly address: string;
  readonly method: string;
  /** The request path without the query string. */
  readonly path: string;
  readonly status: number;
  /** What a write or call sent. */
  readonly written?: readonly WrittenValue[];
}

/** Names of properties and arguments whose values never reach the log. */
const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|credential|private.?key|otp|(^|[a-z_])pin$|^key$|auth.?key/i;
const USER_MANAGEMENT = /^xyz\.openbmc_project\.User\./;
export const REDACTED = '<redacted>';

/**
 * Whether a write or call touches accounts or secrets (what the audit line
 * redacts): such requests never run as jobs, whose results an administrator
 * can read (a CreateSecretKey's answer is the user's secret).
 */
export function touchesSecrets(written: readonly WrittenValue[]): boolean {
  return written.some((entry) => USER_MANAGEMENT.test(entry.interfaceName) || SECRET_NAME.test(entry.member)
    || ('args' in entry && entry.args.some(({ name }) => SECRET_NAME.test(name))));
}

/** `{"Interface.Member": value}` or `{"Interface.Method": {"arg": value, ...}}`, secrets redacted. */
export function writtenValues(written: readonly WrittenValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of written) {
    const key = `${entry.interfaceName}.${entry.member}`;
    if ('value' in entry) {
      out[key] = SECRET_NAME.test(entry.member) ? REDACTED : entry.value;
      continue;
    }
    const everything = USER_MANAGEMENT.test(entry.interfaceName) || SECRET_NAME.test(entry.member);
    out[key] = Object.fromEntries(entry.args.map(({ name, value }, index) =>
      [name || `arg${index + 1}`, everything || SECRET_NAME.test(name) ? REDACTED : value]));
  }
  return out;
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
    ...(entry.written && entry.written.length > 0 ? [`written=${logField(JSON.stringify(writtenValues(entry.written)), 1000)}`] : []),
  ].join(' ');
}

/**
 * Values are written bare when they are plain, else JSON-quoted, and cut at
 * 200 characters (the values written at 1000): a client chooses the user
 * name, the path and the values, and must not be able to forge extra fields
 * or lines.
 */
export function logField(value: string, max = 200): string {
  const cut = value.length > max ? value.slice(0, max) + '…' : value;
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
