/**
 * The one logger. Lines go to stderr with a syslog priority prefix (`<3>`,
 * `<4>`, `<5>`, `<6>`, `<7>`), which journald reads as the message's priority
 * when the daemon runs under systemd; on a terminal the prefix is a level word.
 *
 * Audit lines (logins, writes, uploads...) are a record, not diagnostics:
 * they are written at every log level, as `notice` (priority 5), so that
 * `--log-level error` quiets the daemon without hiding who changed what.
 */
import type { LogLevelName } from './config.js';

const PRIORITY: Readonly<Record<LogLevelName, number>> = { error: 3, warning: 4, info: 6, debug: 7 };
/** syslog's `notice`: normal but significant. */
const AUDIT_PRIORITY = 5;

export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Always written, whatever the level. */
  audit(message: string): void;
}

export function createLogger(
  level: LogLevelName,
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  journal = process.env.JOURNAL_STREAM !== undefined,
): Logger {
  const threshold = PRIORITY[level];
  const line = (priority: number, name: string, message: string) => {
    // One event, one line: journald and grep both rely on it.
    const text = message.replace(/[\r\n]+/g, ' ');
    write(journal ? `<${priority}>${text}` : `${new Date().toISOString()} ${name}: ${text}`);
  };
  const emit = (name: LogLevelName) => (message: string) => {
    if (PRIORITY[name] <= threshold) line(PRIORITY[name], name, message);
  };
  return {
    error: emit('error'),
    warning: emit('warning'),
    info: emit('info'),
    debug: emit('debug'),
    audit: (message) => line(AUDIT_PRIORITY, 'notice', message),
  };
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(level: LogLevelName = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(level, (line) => lines.push(line), true), { lines });
}
