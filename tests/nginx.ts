/**
 * A real nginx in front of test servers, configured by one of the documented site files (docs/nginx/), so the
 * tests exercise the very configuration the docs tell people to install: alone, or laid out as Debian's
 * package does beside its default site (tests/nginx-site.ts says what is changed in the file, and how little).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { adaptSite, writeConfiguration, type Certificate, type Placement, type Ports } from './nginx-site';
import { tempDir } from './tmpdir';

export const NGINX = '/usr/sbin/nginx';
export const hasNginx = fs.existsSync(NGINX);

/** Where the documented site files live; `site` names are resolved against it. */
export const SITES_DIR = path.resolve(__dirname, '..', 'docs', 'nginx');

if (!hasNginx && process.env.CI === 'true') throw new Error(`${NGINX} is missing; .ci/run installs it`);

if (!hasNginx) console.warn(`Skipping the nginx tests: ${NGINX} is not installed (apt-get install -y nginx).`);

/** `describe`, or `describe.skip` (the reason printed above) when nginx is not installed (a failure on CI). */
export const describeBehindNginx: jest.Describe = hasNginx ? describe : describe.skip;

/** Bounds nginx's start and stop; neither waits on a sleep. */
const NGINX_WAIT_MS = 10_000;

/** A free port may be taken by someone else before nginx binds it; try a few others then. */
const PORT_ATTEMPTS = 5;

export interface NginxOptions {
  /** A site file (upstream, map and server blocks, as in docs/nginx/): a name in docs/nginx/ or a path. */
  site: string;
  /** Upstream name → the servers that replace its `server` lines, as `host:port` or `http://host:port`. */
  upstreams: Record<string, string[]>;
  /** Laid out as Debian's package does, the site in sites-enabled/ (linked) or conf.d/; unset: the site alone. */
  debian?: Placement;
  /** The certificate for a site that listens on 443 (its ssl_certificate lines are replaced). */
  tls?: Certificate;
}

export interface Nginx {
  /** `http://127.0.0.1:<port>`, where the site's `listen 80` listens. */
  url: string;
  /** `https://127.0.0.1:<port>`, where its `listen 443 ssl` listens (when it has one). */
  tlsUrl: string;
  ports: Ports;
  /** nginx's error log so far (warnings and worse), for diagnosing a failed test. */
  errorLog(): string;
  /** Stops nginx (fast shutdown: open connections are closed) and removes its files. */
  stop(): Promise<void>;
}

/** Starts nginx with `site` on free ports; resolves once it accepts connections. */
export async function startNginx({ site, upstreams, debian, tls }: NginxOptions): Promise<Nginx> {
  const text = adaptSite(fs.readFileSync(path.resolve(SITES_DIR, site), 'utf8'), upstreams, tls);
  for (let attempt = 1; ; attempt++) {
    const ports = { http: await freePort(), https: await freePort() };
    try {
      return await launch(text, ports, debian);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === PORT_ATTEMPTS) throw err;
    }
  }
}

class PortTaken extends Error {}

async function launch(site: string, ports: Ports, placement: Placement): Promise<Nginx> {
  const tmp = tempDir('chat-nginx-');
  const pidFile = path.join(tmp.dir, 'nginx.pid');
  const errorLogFile = path.join(tmp.dir, 'error.log');
  const conf = writeConfiguration(tmp.dir, site, ports, placement);
  const errorLog = () => (fs.existsSync(errorLogFile) ? fs.readFileSync(errorLogFile, 'utf8') : '');

  // Watch before spawning, so that the pid file cannot appear unseen.
  const watcher = fs.watch(tmp.dir);
  // -e: the error log before the configuration is read (else nginx tries its compiled-in /var/log path).
  // detached: its own process group, so that the workers can be stopped with the master even if the master
  // is past answering (workers outlive a SIGKILLed master and keep the port).
  const child = spawn(NGINX, ['-e', errorLogFile, '-p', tmp.dir, '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = () => terminate(child, exited);

  try {
    await listening(watcher, child.pid!, pidFile, exited);
  } catch (err) {
    await stop();
    const why = errorLog() || stderr; // nginx reports start-up errors to both
    tmp.cleanup();
    if (/Address already in use/.test(why)) throw new PortTaken(why);
    throw new Error(`nginx did not start: ${(err as Error).message}\n${why}`);
  } finally {
    watcher.close();
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${ports.http}`,
    tlsUrl: `https://127.0.0.1:${ports.https}`,
    ports,
    errorLog,
    stop: () =>
      (stopping ??= (async () => {
        await stop();
        tmp.cleanup();
      })()),
  };
}

/**
 * Fast shutdown (SIGTERM; SIGQUIT would wait for every WebSocket to end) of nginx's process group, the master
 * and its workers; SIGKILL for the group if that takes longer than NGINX_WAIT_MS. Resolves once the master
 * has exited: it waits for its workers before it does, except after a SIGKILL, which the workers get too.
 */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), NGINX_WAIT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Resolves once nginx listens. nginx writes its pid file only after it has bound and started listening on
 * every socket of the configuration (main() in src/core/nginx.c: ngx_init_cycle() opens the listening sockets,
 * then ngx_create_pidfile() runs; strace shows bind(), listen(), then the pid file's open()), and the kernel
 * queues connections from then on, before a worker accepts them. The file is created empty and then written,
 * so it counts once it holds the master's pid.
 */
function listening(watcher: fs.FSWatcher, pid: number, pidFile: string, exited: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no pid file within ${NGINX_WAIT_MS} ms`)), NGINX_WAIT_MS);
    const check = () => {
      let written: string;
      try {
        written = fs.readFileSync(pidFile, 'utf8');
      } catch {
        return; // not there yet
      }
      if (written.trim() !== String(pid)) return; // created, not written yet
      clearTimeout(timer);
      resolve();
    };
    watcher.on('change', check);
    watcher.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error('nginx exited'));
    });
    check();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = (probe.address() as net.AddressInfo);
      probe.close(() => resolve(port));
    });
  });
}
