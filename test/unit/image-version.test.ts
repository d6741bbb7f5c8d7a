/**
 * Which InterfacesAdded signal answers an upload (src/bmc/image-version.ts):
 * the image manager's Version object, never an item updater's object that
 * also carries Software.Activation (phosphor-rest-server's rule).
 */
import test from 'ava';
import type { SignalMessage } from '../../src/dbus/bus.js';
import { versionId } from '../../src/bmc/image-version.js';

const VERSION = { 'xyz.openbmc_project.Software.Version': { Version: '2.99.0', Purpose: 'x' } };
const ACTIVATION = { 'xyz.openbmc_project.Software.Activation': { Activation: 'x' } };
const FILE_PATH = { 'xyz.openbmc_project.Common.FilePath': { Path: '/tmp/images/0f1e2d3c' } };

function added(objectPath: unknown, interfaces: unknown, member = 'InterfacesAdded'): SignalMessage {
  return {
    sender: ':1.7', objectPath: '/xyz/openbmc_project/software', interfaceName: 'org.freedesktop.DBus.ObjectManager',
    member, signature: 'oa{sa{sv}}', jsonBody: [objectPath, interfaces] as SignalMessage['jsonBody'],
  };
}

const rows: Array<[string, SignalMessage, string | undefined]> = [
  ["the image manager's Version object", added('/xyz/openbmc_project/software/0f1e2d3c', { ...VERSION, ...FILE_PATH }), '0f1e2d3c'],
  ['Version alone', added('/xyz/openbmc_project/software/abc', VERSION), 'abc'],
  ["an item updater's object: Version and Activation", added('/xyz/openbmc_project/software/5db49b22', { ...VERSION, ...ACTIVATION }), undefined],
  ['Activation alone (the updater adding its part)', added('/xyz/openbmc_project/software/0f1e2d3c', ACTIVATION), undefined],
  ['no Version', added('/xyz/openbmc_project/software/0f1e2d3c', FILE_PATH), undefined],
  ['outside the software tree', added('/xyz/openbmc_project/softwarex/1', VERSION), undefined],
  ['the software root itself', added('/xyz/openbmc_project/software', VERSION), undefined],
  ['InterfacesRemoved', added('/xyz/openbmc_project/software/1', VERSION, 'InterfacesRemoved'), undefined],
  ['a body that is not a path and a dict', added(42, null), undefined],
];
for (const [name, signal, expected] of rows) {
  test(`versionId: ${name}`, (t) => {
    t.is(versionId(signal), expected);
  });
}
