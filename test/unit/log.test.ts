import test from 'ava';
import { AuditLog } from '../../src/auth/audit.js';
import { createLogger } from '../../src/log.js';

function capture(level: 'error' | 'warning' | 'info' | 'debug', journal: boolean) {
  const lines: string[] = [];
  return { lines, log: createLogger(level, (line) => lines.push(line), journal) };
}

const levels: Array<['error' | 'warning' | 'info' | 'debug', string[]]> = [
  ['error', ['<3>e', '<5>a']],
  ['warning', ['<3>e', '<4>w', '<5>a']],
  ['info', ['<3>e', '<4>w', '<6>i', '<5>a']],
  ['debug', ['<3>e', '<4>w', '<6>i', '<7>d', '<5>a']],
];
for (const [level, expected] of levels) {
  test(`--log-level ${level}: what is written (audit lines always, as notice)`, (t) => {
    const { lines, log } = capture(level, true);
    log.error('e');
    log.warning('w');
    log.info('i');
    log.debug('d');
    log.audit('a');
    t.deepEqual(lines, expected);
  });
}

test('one event is one line: line breaks in a message cannot forge another', (t) => {
  const { lines, log } = capture('info', true);
  log.audit('audit user=x\n<3>audit user=root\r\nstatus=200');
  t.deepEqual(lines, ['<5>audit user=x <3>audit user=root status=200']);
});

test('on a terminal the priority is a word after the time', (t) => {
  const { lines, log } = capture('info', false);
  log.audit('audit user=root');
  log.warning('careful');
  t.regex(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z notice: audit user=root$/);
  t.regex(lines[1] ?? '', /^\S+Z warning: careful$/);
});

test('the audit trail is written at --log-level error', (t) => {
  const { lines, log } = capture('error', true);
  new AuditLog(log, () => new Date('2026-01-02T03:04:05.000Z'))
    .record({ user: 'root', address: '10.0.0.5', method: 'PUT', path: '/xyz/a/attr/B', status: 200 });
  t.deepEqual(lines, ['<5>audit time=2026-01-02T03:04:05.000Z user=root address=10.0.0.5 verb=PUT path=/xyz/a/attr/B status=200']);
});
