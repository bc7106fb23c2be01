/**
 * Where a client comes from (src/client-address.ts) and which addresses count as one client for the
 * per-address limits (src/limits/address-key.ts); then both on a running server.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { clientAddress } from '../src/client-address';
import { loadConfig } from '../src/config';
import { addressKey } from '../src/limits/address-key';
import { ack } from './helpers';
import { expectConnectionRefused, useLimitedServer } from './limited-server';

describe('clientAddress', () => {
  const xff = (value: string | string[]) => ({ 'x-forwarded-for': value });

  test('without trusted proxies the TCP peer, whatever the header says', () => {
    expect(clientAddress(xff('203.0.113.9'), '127.0.0.1', 0)).toBe('127.0.0.1');
    expect(clientAddress({}, undefined, 0)).toBe('unknown');
  });

  test('one trusted proxy: the rightmost entry, the one it wrote; what the client wrote left of it is ignored', () => {
    expect(clientAddress(xff('198.51.100.7'), '127.0.0.1', 1)).toBe('198.51.100.7');
    expect(clientAddress(xff('203.0.113.9, 198.51.100.7'), '127.0.0.1', 1)).toBe('198.51.100.7');
    expect(clientAddress(xff(['203.0.113.9', '10.0.0.1,198.51.100.7']), '127.0.0.1', 1)).toBe('198.51.100.7');
    expect(clientAddress(xff(' 203.0.113.9 ,, 198.51.100.7 , '), '127.0.0.1', 1)).toBe('198.51.100.7');
  });

  test('a load balancer and nginx (two hops): the entry the balancer wrote, second from the right', () => {
    expect(clientAddress(xff('203.0.113.9, 198.51.100.7, 10.0.0.2'), '127.0.0.1', 2)).toBe('198.51.100.7');
    // Fewer entries than hops: the leftmost, which a trusted proxy wrote as well.
    expect(clientAddress(xff('198.51.100.7'), '127.0.0.1', 2)).toBe('198.51.100.7');
  });

  test('a trusted proxy that sent no header: the peer', () => {
    expect(clientAddress({}, '10.0.0.2', 1)).toBe('10.0.0.2');
    expect(clientAddress(xff(' , '), '10.0.0.2', 1)).toBe('10.0.0.2');
  });
});

describe('addressKey', () => {
  test('IPv4 is the address; IPv4-mapped IPv6 is the same IPv4 address', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(addressKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  test('IPv6 is its /64, however it is written', () => {
    const key = '2001:db8:0:1::/64';
    for (const a of ['2001:db8:0:1::1', '2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:0DB8:0000:0001:0:0:0:9', '2001:db8::1:0:0:0:1', '2001:db8:0:1::203.0.113.7', '2001:db8:0:1::1%eth0']) {
      expect(addressKey(a)).toBe(key);
    }
    expect(addressKey('2001:db8:0:2::1')).toBe('2001:db8:0:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::')).toBe('0:0:0:0::/64');
  });

  test('ports and brackets that some proxies add are dropped; anything that is not an address is itself', () => {
    expect(addressKey('203.0.113.7:5123')).toBe('203.0.113.7');
    expect(addressKey('[2001:db8:0:1::1]:443')).toBe('2001:db8:0:1::/64');
    expect(addressKey('[::ffff:203.0.113.7]')).toBe('203.0.113.7');
    expect(addressKey('unknown')).toBe('unknown');
    expect(addressKey('not, an address')).toBe('not, an address');
  });
});

describe('on a server', () => {
  const limited = useLimitedServer();

  test('with TRUST_PROXY a client cannot dodge the per-address limits by writing X-Forwarded-For itself', async () => {
    await limited.start({ connectionsPerAddress: { points: 2, seconds: 60 } }, { trustProxy: true });
    await limited.connectFrom('10.0.0.1, 192.0.2.20');
    await limited.connectFrom('10.0.0.2, 192.0.2.20');
    await expect(limited.connectFrom('10.0.0.3, 192.0.2.20')).rejects.toThrow();
    await expectConnectionRefused(limited.current, '10.0.0.4, 192.0.2.20');
    await expect(limited.connectFrom('10.0.0.3, 192.0.2.21')).resolves.toBeDefined();
  });

  test('X-Forwarded-For is not believed without TRUST_PROXY: every client here is one address', async () => {
    await limited.start({ connectionsPerAddress: { points: 2, seconds: 60 } });
    await limited.connectFrom('192.0.2.10');
    await limited.connectFrom('192.0.2.11');
    await expect(limited.connectFrom('192.0.2.12')).rejects.toThrow();
    await expectConnectionRefused(limited.current, '192.0.2.13');
  });

  test('the addresses of one IPv6 /64 share the per-address limits; the next /64 does not', async () => {
    await limited.start({ loginsPerAddress: { points: 2, seconds: 60 } }, { trustProxy: true });
    const logins = ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:db8:1:2::abcd', '2001:db8:1:3::1'];
    const answers = [];
    for (const [i, address] of logins.entries()) answers.push(await ack(await limited.connectFrom(address), 'login', { username: `v6user${i}` }));
    expect(answers.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'ok', 'rate_limited', 'ok']);
  });

  test('an IPv4-mapped address and the plain IPv4 address are one client', async () => {
    await limited.start({ loginsPerAddress: { points: 1, seconds: 60 } }, { trustProxy: true });
    expect(await ack(await limited.connectFrom('::ffff:192.0.2.30'), 'login', { username: 'mapped' })).toMatchObject({ ok: true });
    expect(await ack(await limited.connectFrom('192.0.2.30'), 'login', { username: 'plain' })).toMatchObject({ error: { code: 'rate_limited' } });
  });

  test('Koa logs the same address as the sockets are limited by, with two trusted hops', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const config = loadConfig({ TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' });
    const server = await limited.start({}, { trustProxy: config.trustProxy, proxyHops: config.proxyHops }, { log: pino({ level: 'debug' }, sink) });
    const forwarded = '203.0.113.9, 198.51.100.7, 10.0.0.2';
    const res = await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': forwarded, 'x-request-id': 'two-hops' } });
    await res.text();
    expect(lines.find((l) => l.msg === 'request' && l.req === 'two-hops')).toMatchObject({ ip: '198.51.100.7' });
    const client = await limited.connectFrom(forwarded);
    const socket = server.app.io.of('/').sockets.get(client.id!)!;
    expect(server.app.services.addressOf(socket)).toBe('198.51.100.7');
  });
});
