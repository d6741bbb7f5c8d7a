/**
 * mergeProperties: how GET <path> joins the GetAll answers of an object's interfaces. Names are
 * D-Bus members, so "__proto__" and "constructor" are ordinary properties here.
 */
import test from 'ava';
import { mergeProperties, type PropertyMap } from '../../src/bmc/properties.js';

const cases: Array<{ name: string; maps: PropertyMap[]; expect: string }> = [
  { name: 'no interfaces', maps: [], expect: '{}' },
  { name: 'disjoint interfaces', maps: [{ A: 1 }, { B: 'x' }], expect: '{"A":1,"B":"x"}' },
  { name: 'a later interface wins a shared name', maps: [{ A: 1 }, { A: 2 }], expect: '{"A":2}' },
  { name: '__proto__ with a number stays a property', maps: [JSON.parse('{"__proto__":5}') as PropertyMap], expect: '{"__proto__":5}' },
  { name: '__proto__ with a dict stays a property, not the prototype', maps: [JSON.parse('{"__proto__":{"admin":true}}') as PropertyMap, { B: 1 }], expect: '{"__proto__":{"admin":true},"B":1}' },
  { name: 'constructor and toString are ordinary names', maps: [{ constructor: 1 }, { toString: 'x' }], expect: '{"constructor":1,"toString":"x"}' },
];

for (const c of cases) {
  test(`mergeProperties: ${c.name}`, (t) => {
    const merged = mergeProperties(c.maps);
    t.is(JSON.stringify(merged), c.expect);
    t.is(Object.getPrototypeOf(merged), Object.prototype);
    t.false('admin' in merged);
  });
}
