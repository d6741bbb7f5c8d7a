/**
 * SubscriberConnection and the account: the watch starts with the guard's
 * yes, not with the 101. Between them the service adds the match rules
 * (hub.join, bus round trips) and loads ws: an account revoked then must
 * still close the socket (1008, the reason), as it would once open. The
 * window is made deterministic by a hub whose join resolves when the test
 * says so; the socket is a real websocket over loopback.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { WebSocket, WebSocketServer } from 'ws';
import type { GuardedAction, Principal, RequestGuard } from '../../src/auth/guard.js';
import { memoryLogger } from '../../src/log.js';
import { SubscriberConnection } from '../../src/ws/connection.js';
import type { EventHub } from '../../src/ws/hub.js';

test('an account revoked while the upgrade is under way closes the socket as soon as it opens (1008, the reason)', async (t) => {
  let revoke: ((reason: string) => void) | undefined;
  let watched = 0;
  const guard = {
    watchAccount: (_principal: Principal, _action: GuardedAction, listener: (reason: string) => void) => {
      revoke = listener;
      watched++;
      return () => void (watched--);
    },
    onSessionEnd: () => () => {},
  } as unknown as RequestGuard;
  let joined!: () => void;
  const hub = { join: () => new Promise<() => Promise<void>>((resolve) => (joined = () => resolve(async () => {}))) } as unknown as EventHub;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  const principal: Principal = { user: 'operator', role: 'priv-operator', via: 'basic' };
  server.on('upgrade', (req, socket, head) => {
    const connection = new SubscriberConnection(req, socket, principal, {
      hub, guard, log: memoryLogger(), limits: { maxPaths: 8, maxInterfaces: 8, sendBufferBytes: 1 << 20 },
      action: { method: 'GET', route: 'subscribe', path: '/subscribe' },
    });
    t.is(watched, 1, 'watched from the guard\'s yes on');
    // The account changes while the match rules are being added.
    revoke?.('user disabled');
    joined();
    void connection.joined().then(() => wss.handleUpgrade(req, socket, head, (ws) => connection.open(ws)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    wss.close();
    server.close();
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/subscribe`);
  const [code, reason] = (await once(client, 'close')) as [number, Buffer];
  t.is(code, 1008);
  t.is(reason.toString(), 'user disabled');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(watched, 0, 'the watch is given back when the socket closes');
});
