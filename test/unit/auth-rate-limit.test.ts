import test from 'ava';
import { FailureWindow, LoginThrottle } from '../../src/auth/rate-limit.js';

function clock() {
  let now = 5_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('window: the (max+1)th attempt waits until the oldest failure leaves the window', (t) => {
  const { now, advance } = clock();
  const window = new FailureWindow({ maxFailures: 3, windowMs: 60_000, now });
  window.record('k');
  advance(10_000);
  window.record('k');
  window.record('k');
  t.is(window.retryAfterMs('k'), 50_000);
  t.is(window.retryAfterMs('other'), 0);
  advance(50_000);
  t.is(window.retryAfterMs('k'), 0);
  window.record('k');
  t.is(window.retryAfterMs('k'), 10_000 - 0); // the second and third failures are still inside
});

test('window: refund takes back one failure, clear all', (t) => {
  const { now } = clock();
  const window = new FailureWindow({ maxFailures: 2, windowMs: 1000, now });
  window.record('k');
  window.record('k');
  t.true(window.retryAfterMs('k') > 0);
  window.refund('k');
  t.is(window.retryAfterMs('k'), 0);
  window.record('k');
  window.clear('k');
  t.is(window.retryAfterMs('k'), 0);
});

test('window: memory stays bounded with many keys', (t) => {
  const { now } = clock();
  const window = new FailureWindow({ maxFailures: 1, windowMs: 1000, maxKeys: 100, now });
  for (let i = 0; i < 1000; i++) window.record(`user${i}`);
  // The newest records survive; the oldest were dropped.
  t.true(window.retryAfterMs('user999') > 0);
  t.is(window.retryAfterMs('user0'), 0);
});

test('throttle: per address, then 429-style refusal with seconds to wait', (t) => {
  const { now, advance } = clock();
  const throttle = new LoginThrottle({ perUser: 100, perAddress: 3, windowMs: 60_000, now });
  for (const user of ['a', 'b', 'c']) t.true(throttle.admit(user, '10.0.0.1').admitted);
  const refused = throttle.admit('d', '10.0.0.1');
  t.deepEqual(refused, { admitted: false, retryAfterSeconds: 60 });
  t.true(throttle.admit('d', '10.0.0.2').admitted, 'another address is not affected');
  advance(59_001);
  t.deepEqual(throttle.admit('d', '10.0.0.1'), { admitted: false, retryAfterSeconds: 1 });
  advance(1000);
  t.true(throttle.admit('d', '10.0.0.1').admitted);
});

test('throttle: per user, across addresses', (t) => {
  const { now } = clock();
  const throttle = new LoginThrottle({ perUser: 2, perAddress: 100, windowMs: 60_000, now });
  t.true(throttle.admit('root', '10.0.0.1').admitted);
  t.true(throttle.admit('root', '10.0.0.2').admitted);
  t.false(throttle.admit('root', '10.0.0.3').admitted);
  t.true(throttle.admit('operator', '10.0.0.3').admitted);
});

test('throttle: attempts count before the check finishes; success refunds', (t) => {
  const { now } = clock();
  const throttle = new LoginThrottle({ perUser: 2, perAddress: 2, windowMs: 60_000, now });
  // Two checks in flight at once: a third is refused before either finishes.
  t.true(throttle.admit('root', 'addr').admitted);
  t.true(throttle.admit('root', 'addr').admitted);
  t.false(throttle.admit('root', 'addr').admitted);
  throttle.succeeded('root', 'addr');
  t.true(throttle.admit('root', 'addr').admitted);
});

test('throttle: a success clears the user but not the address', (t) => {
  const { now } = clock();
  const throttle = new LoginThrottle({ perUser: 3, perAddress: 3, windowMs: 60_000, now });
  t.true(throttle.admit('victim', 'attacker').admitted);
  t.true(throttle.admit('victim', 'attacker').admitted);
  t.true(throttle.admit('own', 'attacker').admitted);
  throttle.succeeded('own', 'attacker');
  t.true(throttle.admit('victim', 'attacker').admitted);
  t.false(throttle.admit('victim', 'attacker').admitted);
});
