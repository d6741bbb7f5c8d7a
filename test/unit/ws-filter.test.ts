import test from 'ava';
import {
  type EventSummary, type Filter, FilterError, MAX_CLOSE_REASON_BYTES, closeReason, isAtOrBelow, matches, parseFilter,
} from '../../src/ws/filter.js';

const LIMITS = { maxPaths: 4, maxInterfaces: 3 };
const HOST = '/xyz/openbmc_project/state/host0';
const HOST_IFACE = 'xyz.openbmc_project.State.Host';

const parse = (value: unknown): Filter => parseFilter(typeof value === 'string' ? value : JSON.stringify(value), LIMITS);

test('{} passes everything but InterfacesRemoved', (t) => {
  const filter = parse({});
  t.is(filter.paths, undefined);
  t.is(filter.interfaces, undefined);
  t.deepEqual([...filter.events].sort(), ['InterfacesAdded', 'PropertiesChanged']);
});

test('the web UI filter', (t) => {
  const filter = parse({ paths: [HOST], interfaces: [HOST_IFACE] });
  t.deepEqual(filter.paths, [HOST]);
  t.deepEqual([...(filter.interfaces ?? [])], [HOST_IFACE]);
});

test('empty lists do not restrict; duplicates collapse; one trailing slash is accepted', (t) => {
  const empty = parse({ paths: [], interfaces: [], events: [] });
  t.is(empty.paths, undefined);
  t.is(empty.interfaces, undefined);
  t.is(empty.events.size, 2);
  t.deepEqual(parse({ paths: ['/a/b/', '/a/b', '/'] }).paths, ['/a/b', '/']);
});

test('events chooses exactly the kinds sent', (t) => {
  t.deepEqual([...parse({ events: ['InterfacesRemoved'] }).events], ['InterfacesRemoved']);
  t.is(parse({ events: ['PropertiesChanged', 'InterfacesAdded', 'InterfacesRemoved'] }).events.size, 3);
});

const longName = 'x'.repeat(500);
const rejected: Array<[string, unknown, RegExp]> = [
  ['not JSON', 'paths: [/x]', /^filter is not valid JSON$/],
  ['empty message', '', /^filter is not valid JSON$/],
  ['an array', [], /^filter must be a JSON object/],
  ['null', null, /^filter must be a JSON object/],
  ['a string', 'x', /^filter is not valid JSON$/],
  ['a JSON string', '"paths"', /^filter must be a JSON object/],
  ['an unknown key (typo)', { path: [HOST] }, /^unknown filter key "path" \(expected paths, interfaces, events\)$/],
  ['paths as a string', { paths: HOST }, /^paths must be an array of object paths, got a string$/],
  ['paths as null', { paths: null }, /^paths must be an array of object paths, got null$/],
  ['a number in paths', { paths: [1] }, /^paths\[0\] must be a string, got a number$/],
  ['a relative path', { paths: ['xyz/openbmc_project'] }, /^paths\[0\] is not a D-Bus object path: "xyz\/openbmc_project"$/],
  ['an empty path', { paths: [''] }, /^paths\[0\] is not a D-Bus object path: ""$/],
  ['a double slash', { paths: ['/a//b'] }, /^paths\[0\] is not a D-Bus object path/],
  ['a dash', { paths: ['/', '/a-b'] }, /^paths\[1\] is not a D-Bus object path: "\/a-b"$/],
  ['too many paths', { paths: ['/a', '/b', '/c', '/d', '/e'] }, /^too many paths: 5 \(at most 4\)$/],
  ['interfaces as an object', { interfaces: {} }, /^interfaces must be an array of interface names, got an object$/],
  ['a one-element interface', { interfaces: ['Host'] }, /^interfaces\[0\] is not a D-Bus interface name: "Host"$/],
  ['a digit-led element', { interfaces: ['xyz.1abc'] }, /^interfaces\[0\] is not a D-Bus interface name/],
  ['an empty element', { interfaces: ['xyz..abc'] }, /^interfaces\[0\] is not a D-Bus interface name/],
  ['an interface over 255 bytes', { interfaces: [`a.${longName}`] }, /^interfaces\[0\] is not a D-Bus interface name: "a\.x{38}\.\.\."$/],
  ['too many interfaces', { interfaces: ['a.b', 'a.c', 'a.d', 'a.e'] }, /^too many interfaces: 4 \(at most 3\)$/],
  ['an unknown event', { events: ['PropertyChanged'] }, /^events\[0\] must be PropertiesChanged, InterfacesAdded, InterfacesRemoved or JobChanged, got "PropertyChanged"$/],
  ['events as a string', { events: 'InterfacesRemoved' }, /^events must be an array of event names, got a string$/],
  ['a long unknown key', { [longName]: 1 }, /^unknown filter key "x{40}\.\.\."/],
  ['a long bad path', { paths: [`/${'é'.repeat(200)}`] }, /^paths\[0\] is not a D-Bus object path/],
];
for (const [name, value, reason] of rejected) {
  test(`rejects ${name}`, (t) => {
    const error = t.throws(() => parse(value), { instanceOf: FilterError });
    t.regex(error?.message ?? '', reason);
    t.true(Buffer.byteLength(error?.message ?? '') <= MAX_CLOSE_REASON_BYTES, 'fits a close frame');
  });
}

test('isAtOrBelow compares whole segments', (t) => {
  t.true(isAtOrBelow('/a/b', '/a/b'));
  t.true(isAtOrBelow('/a/b/c', '/a/b'));
  t.true(isAtOrBelow('/a/b/c', '/'));
  t.true(isAtOrBelow('/', '/'));
  t.false(isAtOrBelow('/a/bc', '/a/b'));
  t.false(isAtOrBelow('/a', '/a/b'));
  t.false(isAtOrBelow('/', '/a'));
});

const changed = (path: string, iface: string): EventSummary => ({ event: 'PropertiesChanged', path, interfaces: [iface] });
const added = (path: string, ...interfaces: string[]): EventSummary => ({ event: 'InterfacesAdded', path, interfaces });
const removed = (path: string, ...interfaces: string[]): EventSummary => ({ event: 'InterfacesRemoved', path, interfaces });
const ENTRY = 'xyz.openbmc_project.Logging.Entry';

const matchTable: Array<[string, unknown, EventSummary, boolean]> = [
  ['web UI filter: host state', { paths: [HOST], interfaces: [HOST_IFACE] }, changed(HOST, HOST_IFACE), true],
  ['web UI filter: other interface of host0', { paths: [HOST], interfaces: [HOST_IFACE] }, changed(HOST, 'xyz.openbmc_project.Other'), false],
  ['web UI filter: host1', { paths: [HOST], interfaces: [HOST_IFACE] }, changed('/xyz/openbmc_project/state/host1', HOST_IFACE), false],
  ['web UI filter: host0 prefix is not a parent', { paths: [HOST] }, changed(`${HOST}0`, HOST_IFACE), false],
  ['a parent path covers its children', { paths: ['/xyz/openbmc_project/sensors'] }, changed('/xyz/openbmc_project/sensors/temperature/cpu0', 'x.y'), true],
  ['interfaces alone: any path', { interfaces: [HOST_IFACE] }, changed('/anything/else', HOST_IFACE), true],
  ['{} passes PropertiesChanged', {}, changed('/a', 'x.y'), true],
  ['{} passes InterfacesAdded', {}, added('/a', 'x.y'), true],
  ['{} does not pass InterfacesRemoved', {}, removed('/a', 'x.y'), false],
  ['InterfacesRemoved when asked', { events: ['InterfacesRemoved'] }, removed('/a', 'x.y'), true],
  ['only the asked kinds', { events: ['InterfacesRemoved'] }, changed('/a', 'x.y'), false],
  ['new log entry below the manager path', { paths: ['/xyz/openbmc_project/logging'] }, added('/xyz/openbmc_project/logging/entry/3', ENTRY, 'x.y'), true],
  ['new log entry below a deeper path', { paths: ['/xyz/openbmc_project/logging/entry'] }, added('/xyz/openbmc_project/logging/entry/3', ENTRY), true],
  ['InterfacesAdded: any added interface in the list', { interfaces: [ENTRY] }, added('/a', 'x.y', ENTRY), true],
  ['InterfacesAdded: none in the list', { interfaces: [ENTRY] }, added('/a', 'x.y', 'x.z'), false],
  ['InterfacesRemoved: path AND interface', { paths: ['/a'], interfaces: ['x.y'], events: ['InterfacesRemoved'] }, removed('/b', 'x.y'), false],
];
for (const [name, filter, event, expected] of matchTable) {
  test(`matches: ${name}`, (t) => {
    t.is(matches(parse(filter), event), expected);
  });
}

test('closeReason cuts to 123 bytes without splitting a character', (t) => {
  t.is(closeReason('short'), 'short');
  const cut = closeReason('€'.repeat(100));
  t.true(Buffer.byteLength(cut) <= MAX_CLOSE_REASON_BYTES);
  t.true(cut.endsWith('...'));
  t.notRegex(cut, /\uFFFD/);
});
