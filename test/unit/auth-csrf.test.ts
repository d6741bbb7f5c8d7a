import test from 'ava';
import { type CsrfInput, csrfVerdict, sameOrigin } from '../../src/auth/csrf.js';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz012345';
const base: CsrfInput = { method: 'POST', via: 'session-cookie', upgrade: false, host: 'bmc:8443', csrfToken: TOKEN, corsOrigins: [] };

/** [case, input changes, passes?] — DESIGN section 5, row by row. */
const table: Array<[string, Partial<CsrfInput>, boolean]> = [
  ['token client, cross-origin', { via: 'token', origin: 'https://evil.example' }, true],
  ['token client with a cookie too (openbmctool)', { via: 'token', origin: 'https://evil.example', secFetchSite: 'cross-site' }, true],
  ['basic, script', { via: 'basic' }, true],
  ['basic, same origin', { via: 'basic', origin: 'https://bmc:8443' }, true],
  ['basic GET from a foreign origin', { via: 'basic', method: 'GET', origin: 'https://evil.example' }, true],
  ['basic POST from a foreign origin', { via: 'basic', origin: 'https://evil.example' }, false],
  ['basic POST from a configured CORS origin', { via: 'basic', origin: 'https://ui.example', corsOrigins: ['https://ui.example'] }, true],
  ['cookie GET, cross-origin', { method: 'GET', origin: 'https://evil.example', secFetchSite: 'cross-site' }, true],
  ['cookie HEAD', { method: 'HEAD', secFetchSite: 'cross-site' }, true],
  ['cookie POST with the right X-XSRF-TOKEN, cross-origin', { origin: 'https://evil.example', xsrfHeader: TOKEN }, true],
  ['cookie POST with a forged X-XSRF-TOKEN, cross-origin', { origin: 'https://evil.example', xsrfHeader: TOKEN.replace('a', 'b') }, false],
  ['cookie POST with a forged X-XSRF-TOKEN, same origin', { origin: 'https://bmc:8443', xsrfHeader: 'forged' }, true],
  ['cookie PUT, same origin', { method: 'PUT', origin: 'https://bmc:8443', secFetchSite: 'same-origin' }, true],
  ['cookie DELETE, same host other scheme', { method: 'DELETE', origin: 'http://bmc:8443' }, true],
  ['cookie DELETE, same host other port', { method: 'DELETE', origin: 'https://bmc:443' }, false],
  ['cookie PATCH, cross-origin', { method: 'PATCH', origin: 'https://evil.example' }, false],
  ['cookie POST, Origin null (sandboxed page)', { origin: 'null' }, false],
  ['cookie POST, cookie-jar script (no Origin, no Sec-Fetch-Site)', {}, true],
  ['cookie POST, browser without Origin', { secFetchSite: 'cross-site' }, false],
  ['cookie POST, browser same-origin without Origin', { secFetchSite: 'same-origin' }, false],
  ['cookie POST, configured CORS origin without the token', { origin: 'https://ui.example', corsOrigins: ['https://ui.example'] }, false],
  ['websocket, cookie, token as subprotocol', { method: 'GET', upgrade: true, origin: 'https://evil.example', webSocketProtocols: `chat, ${TOKEN}` }, true],
  ['websocket, cookie, X-XSRF-TOKEN', { method: 'GET', upgrade: true, origin: 'https://evil.example', xsrfHeader: TOKEN }, true],
  ['websocket, cookie, same origin', { method: 'GET', upgrade: true, origin: 'https://bmc:8443' }, true],
  ['websocket, cookie, cross-origin', { method: 'GET', upgrade: true, origin: 'https://evil.example', webSocketProtocols: 'chat' }, false],
  ['websocket, cookie, no Origin (script)', { method: 'GET', upgrade: true }, true],
  ['websocket, token', { method: 'GET', upgrade: true, via: 'token', origin: 'https://evil.example' }, true],
];

for (const [name, changes, pass] of table) {
  test(`CSRF: ${name} → ${pass ? 'pass' : '403'}`, (t) => {
    t.is(csrfVerdict({ ...base, ...changes }).pass, pass);
  });
}

test('the subprotocol that carried the token is reported for the 101', (t) => {
  const verdict = csrfVerdict({ ...base, method: 'GET', upgrade: true, webSocketProtocols: `a,${TOKEN} , b` });
  t.true(verdict.pass && verdict.acceptProtocol === TOKEN);
});

const origins: Array<[string, string | undefined, boolean]> = [
  ['https://bmc', 'bmc', true],
  ['https://bmc', 'bmc:443', true],
  ['https://bmc:443', 'bmc', true],
  ['https://BMC:8443', 'bmc:8443', true],
  ['http://bmc', 'bmc:80', true],
  ['https://bmc', 'bmc:80', false],
  ['https://[::1]:8443', '[::1]:8443', true],
  ['https://[::1]:8443', '[::2]:8443', false],
  ['https://bmc.example', 'bmc', false],
  ['https://bmc', undefined, false],
  ['https://bmc', '', false],
  ['https://bmc', 'bmc/evil', false],
  ['https://bmc', 'user@bmc', false],
  ['null', 'bmc', false],
  ['file://', 'bmc', false],
  ['not a url', 'bmc', false],
];
for (const [origin, host, same] of origins) {
  test(`sameOrigin(${origin}, ${host}) = ${same}`, (t) => {
    t.is(sameOrigin(origin, host), same);
  });
}
