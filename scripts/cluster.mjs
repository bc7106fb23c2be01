#!/usr/bin/env node
// A local cluster in one command (`npm run cluster`): N chat nodes (dist/index.js) on one Redis and one
// PostgreSQL database, behind nginx with docs/nginx/chat-cluster.conf. For trying cluster mode out on one
// machine; in production each node runs under your service manager and nginx under its own (README, "Scaling
// out"). Ctrl+C stops everything it started.
//
//   node scripts/cluster.mjs [--nodes 2] [--port 8080] [--redis redis://127.0.0.1:6379]
//                            [--database postgres://postgres@127.0.0.1:5432/chat_cluster]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = parseArgs(process.argv.slice(2), {
  nodes: '2',
  port: '8080',
  redis: 'redis://127.0.0.1:6379',
  database: 'postgres://postgres@127.0.0.1:5432/chat_cluster',
});
const count = Number(options.nodes);
const firstNodePort = Number(options.port) + 1;
const logDir = path.join(root, 'data', 'cluster');
fs.mkdirSync(logDir, { recursive: true });

await ensureDatabase(options.database);
const children = [];
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

for (let i = 0; i < count; i++) {
  const port = firstNodePort + i;
  const log = fs.openSync(path.join(logDir, `node-${i + 1}.log`), 'a');
  const node = spawn(process.execPath, [path.join(root, 'dist', 'index.js')], {
    cwd: root,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: options.database,
      REDIS_URL: options.redis,
      NODE_ID: `local-${i + 1}`,
      TRUST_PROXY: 'true',
    },
  });
  children.push(node);
  node.once('exit', (code, signal) => console.log(`node ${i + 1} (port ${port}) exited: ${signal ?? code}`));
}

const nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-cluster-nginx-'));
const servers = Array.from({ length: count }, (_, i) => `127.0.0.1:${firstNodePort + i}`);
const site = fs
  .readFileSync(path.join(root, 'docs', 'nginx', 'chat-cluster.conf'), 'utf8')
  .replace(/(upstream chat_nodes \{[^}]*?)(\n\s*server [^\n]*)+/, (_all, head) =>
    `${head}${servers.map((s) => `\n    server ${s} max_fails=1 fail_timeout=5s;`).join('')}`,
  )
  .replace('listen 80;', `listen ${options.port};`);
fs.writeFileSync(
  path.join(nginxDir, 'nginx.conf'),
  `worker_processes 1;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${nginxDir}/body;
  proxy_temp_path ${nginxDir}/proxy;
  fastcgi_temp_path ${nginxDir}/fastcgi;
  uwsgi_temp_path ${nginxDir}/uwsgi;
  scgi_temp_path ${nginxDir}/scgi;
${site}
}
`,
);
const nginx = spawn('nginx', ['-e', path.join(nginxDir, 'error.log'), '-p', nginxDir, '-c', path.join(nginxDir, 'nginx.conf'), '-g', 'daemon off;'], {
  stdio: 'inherit',
});
children.push(nginx);
nginx.once('exit', (code, signal) => console.log(`nginx exited: ${signal ?? code}`));

console.log(`Chat cluster: http://localhost:${options.port}/ (nginx) in front of ${count} node(s) on ports ${servers.join(', ')}`);
console.log(`Redis ${options.redis}, PostgreSQL ${options.database.replace(/\/\/[^@]*@/, '//…@')}; node logs in ${logDir}`);
console.log('Ctrl+C stops everything.');

function stop() {
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 11_000).unref(); // a node's graceful shutdown takes at most 10 s
  Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(
    () => process.exit(0),
  );
}

/** Creates the database if it does not exist yet (the nodes create their tables themselves). */
async function ensureDatabase(url) {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function parseArgs(args, defaults) {
  const result = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '');
    if (!(key in defaults) || args[i + 1] === undefined) {
      console.error(`unknown or incomplete option ${args[i]}; options: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')}`);
      process.exit(2);
    }
    result[key] = args[i + 1];
  }
  return result;
}
