import test from 'ava';
import { MatchRules, matchRule } from '../../src/dbus/match-rules.js';

function recorder() {
  const calls: string[] = [];
  const rules = new MatchRules(async (member, rule) => {
    calls.push(`${member} ${rule}`);
  });
  return { calls, rules };
}

test('one AddMatch for many users, one RemoveMatch when the last leaves', async (t) => {
  const { calls, rules } = recorder();
  await Promise.all([rules.acquire('r1'), rules.acquire('r1'), rules.acquire('r1')]);
  t.deepEqual(calls, ['AddMatch r1']);
  await rules.release('r1');
  await rules.release('r1');
  t.is(rules.size, 1);
  await rules.release('r1');
  t.deepEqual(calls, ['AddMatch r1', 'RemoveMatch r1']);
  t.is(rules.size, 0);
});

test('a failed AddMatch leaves no reference behind', async (t) => {
  const rules = new MatchRules(async (member) => {
    if (member === 'AddMatch') throw new Error('limit');
  });
  await t.throwsAsync(() => rules.acquire('r'));
  t.is(rules.size, 0);
});

test('releasing an unknown rule is harmless', async (t) => {
  const { calls, rules } = recorder();
  await rules.release('nope');
  t.deepEqual(calls, []);
});

test('releaseAll removes every rule', async (t) => {
  const { calls, rules } = recorder();
  await rules.acquire('a');
  await rules.acquire('b');
  await rules.releaseAll();
  t.is(rules.size, 0);
  t.deepEqual(calls.filter((c) => c.startsWith('Remove')).sort(), ['RemoveMatch a', 'RemoveMatch b']);
});

test('matchRule quotes values', (t) => {
  t.is(matchRule({ type: 'signal', path: "/a'b", arg0: undefined }), "type='signal',path='/a'\\''b'");
});
