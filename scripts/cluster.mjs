#!/usr/bin/env node
// A local cluster in one command (`npm run cluster`): N chat nodes (dist/index.js) on one Redis and one
// PostgreSQL database, behind nginx with docs/nginx/chat-cluster.conf. For trying cluster mode out on one
// machine; in production each node runs under your service manager and nginx under its own (docs/scaling.md). nginx starts once every node listens; if a node or nginx fails to start, everything started is
// stopped again. Ctrl+C stops everything it started.
//
//   node scripts/cluster.mjs [--nodes 2] [--port 8080] [--redis redis://127.0.0.1:6379]
//                            [--database postgres://postgres@127.0.0.1:5432/chat_cluster] [--nginx /usr/sbin/nginx]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** A node that neither listens nor exits within this long is taken as failed (it waits up to 10 s for Redis). */
const NODE_START_MS = 30_000;
/** A node's graceful shutdown takes at most 10 s (src/index.ts). */
const STOP_MS = 11_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = parseArgs(process.argv.slice(2), {
  nodes: '2',
  port: '8080',
  redis: 'redis://127.0.0.1:6379',
  database: 'postgres://postgres@127.0.0.1:5432/chat_cluster',
  // Debian's nginx is in /usr/sbin, which is not on every user's PATH.
  nginx: process.env.NGINX ?? (fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'),
});
const count = Number(options.nodes);
const firstNodePort = Number(options.port) + 1;
const logDir = path.join(root, 'data', 'cluster');
fs.mkdirSync(logDir, { recursive: true });
const nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-cluster-nginx-'));

const children = [];
let stopping = false;
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));

try {
  await ensureDatabase(options.database);
  const servers = Array.from({ length: count }, (_, i) => `127.0.0.1:${firstNodePort + i}`);
  await Promise.all(servers.map((_, i) => startNode(i, firstNodePort + i)));
  await startNginx(servers);
  console.log(`Chat cluster: http://localhost:${options.port}/ (nginx) in front of ${count} node(s) on ports ${servers.join(', ')}`);
  console.log(`Redis ${options.redis}, PostgreSQL ${options.database.replace(/\/\/[^@]*@/, '//…@')}; node logs in ${logDir}`);
  console.log('Ctrl+C stops everything.');
} catch (err) {
  console.error(`The cluster did not start: ${err.message}`);
  stop(1);
}

/** Starts node `i` on `port`; resolves once it logs that it listens (its log lines go to its file). */
function startNode(i, port) {
  const logFile = path.join(logDir, `node-${i + 1}.log`);
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const node = spawn(process.execPath, [path.join(root, 'dist', 'index.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
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
  node.stderr.pipe(log, { end: false });
  node.once('exit', (code, signal) => {
    if (!stopping) console.log(`node ${i + 1} (port ${port}) exited: ${signal ?? code}`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${i + 1} not listening after ${NODE_START_MS / 1000} s; see ${logFile}`)), NODE_START_MS);
    const fail = (why) => {
      clearTimeout(timer);
      reject(new Error(`node ${i + 1} ${why}; see ${logFile}`));
    };
    node.once('error', (err) => fail(`could not run (${err.message})`));
    node.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
    readline.createInterface({ input: node.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      if (/"msg":"listening"/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Starts nginx with the documented site and `servers` as its upstream; resolves once it listens. */
function startNginx(servers) {
  const site = fs
    .readFileSync(path.join(root, 'docs', 'nginx', 'chat-cluster.conf'), 'utf8')
    .replace(/(upstream chat_nodes \{[^}]*?)(\n\s*server [^\n]*)+/, (_all, head) =>
      `${head}${servers.map((s) => `\n    server ${s} max_fails=1 fail_timeout=5s;`).join('')}`,
    )
    .replace('listen 80;', `listen ${options.port};`)
    .replace(/^\s*listen \[::\]:80;\n/m, ''); // one listen line is enough on one machine
  const errorLog = path.join(nginxDir, 'error.log');
  const pidFile = path.join(nginxDir, 'nginx.pid');
  fs.writeFileSync(path.join(nginxDir, 'nginx.conf'), nginxConf(site));
  // nginx writes its pid file once it listens on every socket of the configuration (tests/nginx.ts explains).
  const watcher = fs.watch(nginxDir);
  const nginx = spawn(options.nginx, ['-e', errorLog, '-p', nginxDir, '-c', path.join(nginxDir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: 'inherit',
  });
  children.push(nginx);
  return new Promise((resolve, reject) => {
    const done = (err) => {
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
    nginx.once('error', (err) => done(new Error(`cannot run nginx as "${options.nginx}" (${err.message}); install it or pass --nginx PATH`)));
    nginx.once('exit', (code, signal) => {
      if (!stopping) console.log(`nginx exited: ${signal ?? code}`);
      done(new Error(`nginx exited (${signal ?? code}); its log: ${errorLog}`));
    });
    const check = () => {
      const written = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
      if (nginx.pid !== undefined && written === String(nginx.pid)) done();
    };
    watcher.on('change', check);
  });
}

function nginxConf(site) {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${nginxDir}/${t.replace('client_', '')};`);
  return `worker_processes 1;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
${temp.join('\n')}
${site}
}
`;
}

/** Stops every child still running (SIGTERM: graceful), then exits with `code`. */
function stop(code) {
  if (stopping) return;
  stopping = true;
  const running = children.filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of running) child.kill('SIGKILL'); // past its deadline: leave nothing running
    finish(1);
  }, STOP_MS).unref();
  Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve)))).then(() => finish(code));
}

function finish(code) {
  fs.rmSync(nginxDir, { recursive: true, force: true });
  process.exit(code);
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
