/**
 * /metrics stays off the public side in every documented nginx configuration (docs/nginx/*.conf): however the
 * path is spelled (the server's router matches it in any case and with a trailing slash; nginx decodes and
 * merges the path before it matches a location), nginx answers 404 itself and the request never reaches the
 * chat server, which itself still serves its metrics to whoever reaches it directly (Prometheus on the machine).
 */
import fs from 'node:fs';
import { selfSigned } from './certificate';
import { startServer, type TestServer } from './helpers';
import { get, namedAgents, type NamedAgents } from './named-client';
import { describeBehindNginx, SITES_DIR, startNginx, type Nginx } from './nginx';
import { tempDir } from './tmpdir';

/** Each documented file: its upstream, the BASE_PATH it is for, and whether it serves the chat over HTTPS. */
const SITES: Record<string, { upstream: string; basePath: string; tls: boolean }> = {
  'chat.conf': { upstream: 'chat_backend', basePath: '', tls: false },
  'chat-tls.conf': { upstream: 'chat_backend', basePath: '', tls: true },
  'chat-subpath.conf': { upstream: 'chat_backend', basePath: '/chat', tls: false },
  'chat-cluster.conf': { upstream: 'chat_nodes', basePath: '', tls: false },
};

test('every documented nginx configuration is checked here', () => {
  expect(fs.readdirSync(SITES_DIR).filter((f) => f.endsWith('.conf')).sort()).toEqual(Object.keys(SITES).sort());
});

/** Ways to spell the metrics path that the server, or nginx's normalisation, turns into it. */
const SPELLINGS = ['/metrics', '/metrics/', '/METRICS', '/Metrics?name=chat', '/%6Detrics', '/%6detrics/', '//metrics', '/./metrics', '/x/../metrics', '/metrics%2F', '/metrics;x=1'];

describeBehindNginx.each(Object.entries(SITES))('%s', (site, { upstream, basePath, tls }) => {
  const tmp = tempDir('chat-metrics-');
  let server: TestServer;
  let nginx: Nginx;
  let agents: NamedAgents;
  let url: string;

  beforeAll(async () => {
    const certificate = tls ? selfSigned(tmp.dir, ['chat.example.com']) : undefined;
    server = await startServer({ basePath, trustProxy: true });
    nginx = await startNginx({ site, upstreams: { [upstream]: [server.url] }, tls: certificate });
    agents = namedAgents([], certificate && fs.readFileSync(certificate.cert, 'utf8'));
    url = tls ? nginx.tlsUrl : nginx.url;
  });
  afterAll(async () => {
    agents?.destroy();
    await nginx?.stop();
    await server?.close();
    tmp.cleanup();
  });

  test('the chat answers through it, and serves its metrics to whoever reaches it directly', async () => {
    const health = await get(agents, `${url}${basePath}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers['x-request-id']).toBeDefined();
    const direct = await get(agents, `${server.url}${basePath}/metrics`);
    expect(direct.body).toContain('chat_events_in_total');
  });

  test('no spelling of /metrics gets through: nginx answers 404 itself', async () => {
    for (const spelling of SPELLINGS) {
      const rawPath = basePath + spelling;
      const res = await get(agents, url, { rawPath });
      const seen = { rawPath, status: res.status, fromChat: res.headers['x-request-id'] !== undefined, metrics: res.body.includes('chat_') };
      expect(seen).toEqual({ rawPath, status: 404, fromChat: false, metrics: false });
    }
  });
});
