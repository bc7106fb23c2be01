/**
 * A real redis-server of our own, on a free port, without persistence: `kill` and `restart` give a Redis
 * that comes back empty on the same port, as after a crash that lost its data. Used by the test suites that
 * need Redis (tests/redis-server.ts) and by the benchmark's cluster (its CPU is then read from /proc/<pid>).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const START_TIMEOUT_MS = 10_000;

/** Why redis-server cannot be started here, or undefined when it can. */
export function redisMissing(): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error) return `${REDIS_SERVER} not found (${probe.error.message}); install redis-server (apt-get install -y redis-server)`;
  const major = Number(redisVersion()?.split('.')[0]);
  if (!(major >= 7)) return `${REDIS_SERVER} is not Redis 7 or newer: ${probe.stdout.trim()}`;
  return undefined;
}

/** The version of redis-server ("7.0.15"), undefined when there is none. */
export function redisVersion(): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return /v=(\d+(?:\.\d+)*)/.exec(probe.stdout ?? '')?.[1];
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-redis-'));

  private constructor(public port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's pid, undefined while it is stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a server on a free port (another port if the one picked was taken meanwhile). */
  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.launch();
        return server;
      } catch (err) {
        server.removeDir();
        if (attempt >= 5 || !/Address already in use/i.test(String(err))) throw err;
      }
    }
  }

  /** Kills the server (SIGKILL by default) and waits until it has exited. Its data is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts a fresh, empty server on the same port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /**
   * Starts the server again (empty, on the same port) if a test killed it and failed before restarting it: run
   * after each test, so that one failed assertion does not leave every later test of the file waiting for a
   * Redis that will never come back.
   */
  async ensureRunning(): Promise<void> {
    if (this.child === undefined) await this.launch();
  }

  async close(): Promise<void> {
    await this.kill('SIGTERM');
    this.removeDir();
  }

  private removeDir(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Spawns redis-server and resolves once it accepts connections (its own log line says so). */
  private launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice');
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`redis-server on port ${this.port} ${why}: ${output.slice(-2000)}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
      child.stderr!.on('data', (chunk) => (output += chunk));
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        output += `${line}\n`;
        if (/Ready to accept connections/.test(line)) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        }
      });
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
