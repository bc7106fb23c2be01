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
  private readonly snapshot = PROTOTYPES.map(([name, proto]) => [name, describe(proto)] as const);
  private readonly undo: Array<() => void> = [];

  constructor() {
    this.log = pino({ level: 'debug', base: { service: 'chat' } }, { write: (line: string) => this.logLine(line) });
  }

  start(): void {
    const listen = (event: 'uncaughtException' | 'unhandledRejection' | 'warning', label: string) => {
      const listener = (err: unknown) => this.problems.push(`${label}: ${errorText(err)}`);
      process.on(event, listener);
      this.undo.push(() => process.off(event, listener));
    };
    listen('uncaughtException', 'uncaught exception');
    listen('unhandledRejection', 'unhandled rejection');
    listen('warning', 'process warning');
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

  /** Everything wrong since the previous call (and forgets it, so a shrinking run is judged on its own). */
  take(): string[] {
    if (({} as Record<string, unknown>).polluted !== undefined) this.problems.push('({}).polluted is set');
    for (const [name, before] of this.snapshot) {
      const proto = PROTOTYPES.find(([n]) => n === name)![1];
      const after = describe(proto);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => !same(before.get(key), after.get(key)));
      if (changed.length > 0) this.problems.push(`${name} changed: ${changed.map(String).join(', ')}`);
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

/** Every own key of `proto` with its descriptor's parts (values compared by identity). */
function describe(proto: object): Map<PropertyKey, unknown[]> {
  const entries = new Map<PropertyKey, unknown[]>();
  for (const key of Reflect.ownKeys(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)!;
    entries.set(key, [d.value, d.get, d.set, d.enumerable, d.writable, d.configurable]);
  }
  return entries;
}

function same(a: unknown[] | undefined, b: unknown[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.every((part, i) => Object.is(part, b[i]));
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}
