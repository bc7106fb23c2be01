/**
 * A real redis-server per test file, on a free port, without persistence: `kill` and `restart` give a Redis
 * that comes back empty on the same port, as after a crash that lost its data. For any suite that needs
 * Redis (presence, the cluster adapter).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { tempDir } from './tmpdir';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const START_TIMEOUT_MS = 10_000;

/** Why Redis suites cannot run here, or undefined when they can. */
export function redisMissing(): string | undefined {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error) return `${REDIS_SERVER} not found (${probe.error.message}); install redis-server (apt-get install -y redis-server)`;
  const major = Number(/v=(\d+)/.exec(probe.stdout)?.[1]);
  if (!(major >= 7)) return `${REDIS_SERVER} is not Redis 7 or newer: ${probe.stdout.trim()}`;
  return undefined;
}

/**
 * `describe` when redis-server is available, else `describe.skip` with the reason printed; under CI=true a
 * missing redis-server fails instead.
 */
export function describeWithRedis(): jest.Describe {
  const missing = redisMissing();
  if (missing === undefined) return describe;
  if (process.env.CI === 'true') throw new Error(`Redis suites cannot run: ${missing}`);
  console.warn(`skipping Redis tests: ${missing}`);
  return describe.skip;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = tempDir('chat-redis-');

  private constructor(public port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port (another port if the one picked was taken meanwhile). */
  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.launch();
        return server;
      } catch (err) {
        server.dir.cleanup();
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

  async close(): Promise<void> {
    await this.kill('SIGTERM');
    this.dir.cleanup();
  }

  /** Spawns redis-server and resolves once it accepts connections (its own log line says so). */
  private launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir.dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'notice');
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
