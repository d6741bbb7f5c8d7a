/**
 * The one logger. Lines go to stderr with a syslog priority prefix (`<3>`,
 * `<4>`, `<6>`, `<7>`), which journald reads as the message's priority when
 * the daemon runs under systemd; on a terminal the prefix is a level word.
 */
import type { LogLevelName } from './config.js';

const PRIORITY: Readonly<Record<LogLevelName, number>> = { error: 3, warning: 4, info: 6, debug: 7 };

export interface Logger {
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function createLogger(
  level: LogLevelName,
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  journal = process.env.JOURNAL_STREAM !== undefined,
): Logger {
  const threshold = PRIORITY[level];
  const emit = (name: LogLevelName) => (message: string) => {
    if (PRIORITY[name] > threshold) return;
    // One event, one line: journald and grep both rely on it.
    const text = message.replace(/[\r\n]+/g, ' ');
    write(journal ? `<${PRIORITY[name]}>${text}` : `${new Date().toISOString()} ${name}: ${text}`);
  };
  return { error: emit('error'), warning: emit('warning'), info: emit('info'), debug: emit('debug') };
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(level: LogLevelName = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(level, (line) => lines.push(line), true), { lines });
}
