import test from 'ava';
import { BusError } from '../../src/dbus/bus-error.js';
import { ConversionError } from '../../src/dbus/convert.js';
import { DBUS_ERROR_STATUS, GatewayError, errors, statusLine, toGatewayError } from '../../src/errors.js';

// The contract's table (DESIGN section 3), one row per error name.
const table: Array<[string, number]> = [
  ['org.freedesktop.DBus.Error.UnknownObject', 404],
  ['xyz.openbmc_project.Common.Error.ResourceNotFound', 404],
  ['org.freedesktop.DBus.Error.FileNotFound', 404],
  ['org.freedesktop.DBus.Error.UnknownMethod', 404],
  ['org.freedesktop.DBus.Error.UnknownInterface', 404],
  ['org.freedesktop.DBus.Error.UnknownProperty', 404],
  ['org.freedesktop.DBus.Error.InvalidArgs', 400],
  ['xyz.openbmc_project.Common.Error.InvalidArgument', 400],
  ['org.freedesktop.DBus.Error.PropertyReadOnly', 403],
  ['xyz.openbmc_project.Common.Error.NotAllowed', 403],
  ['xyz.openbmc_project.Common.Error.InsufficientPermission', 403],
  ['org.freedesktop.DBus.Error.AccessDenied', 403],
  ['org.freedesktop.DBus.Error.ServiceUnknown', 503],
  ['org.freedesktop.DBus.Error.NameHasNoOwner', 503],
  ['xyz.openbmc_project.Common.Error.Unavailable', 503],
  ['org.freedesktop.DBus.Error.ObjectPathInUse', 503],
  ['xyz.openbmc_project.Common.Error.TooManyResources', 503],
  ['org.freedesktop.DBus.Error.NoReply', 504],
  ['org.freedesktop.DBus.Error.Timeout', 504],
  ['xyz.openbmc_project.Common.Error.Timeout', 504],
  ['xyz.openbmc_project.Common.Error.InternalFailure', 500],
  ['com.example.Anything', 500],
];

for (const [name, status] of table) {
  test(`${name} -> ${status}`, (t) => {
    const error = toGatewayError(new BusError(name, 'some text'));
    t.is(error.status, status);
    t.is(error.description, `${name}: some text`);
    t.deepEqual(error.toEnvelope(), { data: { description: `${name}: some text` }, message: statusLine(status), status: 'error' });
  });
}

test('every table key is a valid D-Bus error name', (t) => {
  for (const name of Object.keys(DBUS_ERROR_STATUS)) {
    t.regex(name, /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/, name);
  }
});

test('unknown errors become a bare 500 without details', (t) => {
  const error = toGatewayError(new TypeError('secret stack detail'));
  t.is(error.status, 500);
  t.is(error.description, 'Internal Server Error');
  t.false(JSON.stringify(error.toEnvelope()).includes('secret'));
});

test('conversion errors are 400 with their message', (t) => {
  const error = toGatewayError(new ConversionError('$.Foo[1]', 'uint32', '-1'));
  t.is(error.status, 400);
  t.is(error.description, '$.Foo[1]: expected uint32, got -1');
});

test('the mapper not-found text is the historical one', (t) => {
  t.is(errors.objectNotFound('/xyz/nope').description, 'org.freedesktop.DBus.Error.FileNotFound: path or object not found: /xyz/nope');
  t.is(errors.objectNotFound('/xyz/nope').status, 404);
});

test('status lines', (t) => {
  t.is(statusLine(405), '405 Method Not Allowed');
  t.is(statusLine(413), '413 Payload Too Large');
  t.is(new GatewayError(401, 'Login required').toEnvelope().message, '401 Unauthorized');
});

test('BusError.from keeps only the first line of a service error text', (t) => {
  const error = BusError.from({ type: 'com.github.dbus_next.ServiceError', text: 'boom\n    at /secret/path.js:1:1' });
  t.is(error.text, 'boom');
  t.is(BusError.from(new Error('marshal\nstack')).text, 'marshal');
});
