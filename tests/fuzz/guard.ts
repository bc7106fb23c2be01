/**
 * Watches the test process while fuzz runs hit an in-process server, and reports what a fuzz run must never
 * cause: an exception or rejection that escaped (it would have killed a real server process), a process
 * warning (listener leaks), output that is not the server's JSON log (anything written through the console,
 * as Koa's default error handler does), a server log line at warn level or above (the app logs bugs and
 * outages there), and a change to a built-in prototype (prototype pollution).
 *
 * stdout and stderr themselves are not watched: jest's reporter writes there from the same process when it
 * runs a single file in band. tests/logs.test.ts checks the real process's output.
 */
import type { EventEmitter } from 'node:events';
import vm from 'node:vm';
import pino, { type Logger } from 'pino';

const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];
const WARN = 40;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

export class ProcessGuard {
  /** The server's logger: every line it writes comes here as JSON (level debug, so every log call runs). */
  readonly log: Logger;
  private problems: string[] = [];
  private readonly snapshot = new Map(PROTOTYPES.map(([name, proto]) => [name, describe(proto)]));
  private readonly undo: Array<() => void> = [];

  constructor() {
    this.log = pino({ level: 'debug', base: { service: 'chat' } }, { write: (line: string) => this.logLine(line) });
  }

  start(): void {
    // Jest gives a test file a copy of `process` whose listeners the real process never calls, and fails the
    // whole file on an uncaught exception: fast-check would not see which run caused it. So, as jest-circus
    // itself does during a test, take the real process's handlers over while the fuzz suite runs.
    const real = vm.runInThisContext('process') as NodeJS.Process;
    const events = real as unknown as EventEmitter;
    for (const event of ['uncaughtException', 'unhandledRejection']) {
      const saved = events.listeners(event) as Array<(...args: unknown[]) => void>;
      const listener = (err: unknown) => this.problems.push(`${event}: ${errorText(err)}`);
      events.removeAllListeners(event);
      events.on(event, listener);
      this.undo.push(() => {
        events.off(event, listener);
        for (const l of saved) events.on(event, l);
      });
    }
    const warning = (err: Error) => this.problems.push(`process warning: ${errorText(err)}`);
    real.on('warning', warning);
    this.undo.push(() => real.off('warning', warning));
    for (const method of CONSOLE_METHODS) {
      const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        this.problems.push(`console.${method}: ${args.map(errorText).join(' ').slice(0, 500)}`);
      });
      this.undo.push(() => spy.mockRestore());
    }
  }

  stop(): void {
    for (const undo of this.undo.splice(0).reverse()) undo();
  }

  /**
   * Runs `run` (one fuzz run) and throws with its error and everything else wrong meanwhile. A changed
   * prototype is put back, so that the next run (and fast-check's shrinking) starts from a clean process.
   */
  async check(run: () => Promise<void>): Promise<void> {
    this.take(); // what an earlier, failed run left behind was reported with it
    let failure: unknown;
    try {
      await run();
    } catch (err) {
      failure = err;
    }
    const problems = this.take();
    if (failure === undefined && problems.length === 0) return;
    const message = failure instanceof Error ? failure.message : errorText(failure);
    throw new Error([...(failure === undefined ? [] : [message]), ...problems].join('\n'));
  }

  private take(): string[] {
    if (({} as Record<string, unknown>).polluted !== undefined) this.problems.push('({}).polluted is set');
    for (const [name, proto] of PROTOTYPES) {
      const before = this.snapshot.get(name)!;
      const after = describe(proto);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => !same(before.get(key), after.get(key)));
      if (changed.length === 0) continue;
      this.problems.push(`${name} changed: ${changed.map(String).join(', ')}`);
      for (const key of changed) {
        const original = before.get(key);
        if (original) Object.defineProperty(proto, key, original);
        else delete (proto as Record<PropertyKey, unknown>)[key];
      }
    }
    return this.problems.splice(0);
  }

  private logLine(line: string): void {
    let entry: { level?: number; msg?: string; err?: { stack?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      this.problems.push(`log line that is not JSON: ${line.slice(0, 500)}`);
      return;
    }
    if ((entry.level ?? 0) >= WARN) this.problems.push(`server logged at level ${entry.level}: ${entry.msg} ${entry.err?.stack ?? ''}`);
  }
}

/** Every own property of `proto`, with its descriptor. */
function describe(proto: object): Map<PropertyKey, PropertyDescriptor> {
  return new Map(Reflect.ownKeys(proto).map((key) => [key, Object.getOwnPropertyDescriptor(proto, key)!]));
}

function same(a: PropertyDescriptor | undefined, b: PropertyDescriptor | undefined): boolean {
  const parts = ['value', 'get', 'set', 'enumerable', 'writable', 'configurable'] as const;
  return a !== undefined && b !== undefined && parts.every((part) => Object.is(a[part], b[part]));
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}
