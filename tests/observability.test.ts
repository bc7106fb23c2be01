import { ack, startServer, type TestServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

test('GET /metrics reports connections, events in/out, latencies and errors by code', async () => {
  const { client } = await server.login('metered');
  await ack(client, 'sendMsg', { text: 'counted' });
  await ack(client, 'sendMsg', { text: '' });
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  const value = (series: string) => Number(new RegExp(`^${escape(series)} (\\S+)$`, 'm').exec(text)?.[1]);
  expect(value('chat_connections')).toBe(1);
  expect(value('chat_events_in_total{event="sendMsg"}')).toBe(2);
  expect(value('chat_events_in_total{event="login"}')).toBe(1);
  expect(value('chat_events_out_total{event="allmessage"}')).toBe(1);
  expect(value('chat_errors_total{code="invalid_message"}')).toBe(1);
  expect(value('chat_ack_latency_seconds_count{event="sendMsg"}')).toBe(2);
  expect(value('chat_store_operation_seconds_count{op="appendPublic"}')).toBe(1);
  expect(text).toMatch(/^chat_process_resident_memory_bytes \d+/m);
  expect(text).not.toContain('counted'); // never message bodies
});

test('every HTTP response carries a request id; a sane incoming one is kept', async () => {
  const fresh = await fetch(`${server.url}/healthz`);
  expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'nginx-abc123' } });
  expect(kept.headers.get('x-request-id')).toBe('nginx-abc123');
  const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
  expect(replaced.headers.get('x-request-id')).not.toBe('bad id with spaces');
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
