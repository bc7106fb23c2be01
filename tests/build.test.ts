/**
 * Build once, start at once (issue 20): scripts/build.mjs compiles at install (`prepare`, which `npm install`
 * and `npm ci` run in the package root) and before a start only when the sources changed (`prestart`,
 * `--if-stale`). Each test runs the script on a small project of its own laid out like this one (its
 * tsconfig files, a src/ and a client/ of a few lines), inside node_modules/.cache so that it finds this
 * project's TypeScript and type definitions the way the real build does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../bench/launcher';

/** Each compile loads @types/node: seconds on a loaded machine. */
jest.setTimeout(120_000);

let dir: string;
beforeEach(() => {
  const cache = path.join(PROJECT_ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  dir = fs.mkdtempSync(path.join(cache, 'chat-build-test-'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'client/tsconfig.json', 'scripts/build.mjs']) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  }
  const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).scripts;
  const pkg = { name: 'build-test', version: '1.0.0', private: true, scripts: { prepare: scripts.prepare, prestart: scripts.prestart } };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  writeSource('export const answer: number = 42;\n');
  writeClient("export const greeting: string = 'hello';\n");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeSource(text: string): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'index.ts'), text);
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, npm_config_update_notifier: 'false' };
  const result = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** The client library's one source file here (client/index.ts). */
function writeClient(text: string): void {
  fs.writeFileSync(path.join(dir, 'client', 'index.ts'), text);
}

const builtClient = () => fs.readFileSync(path.join(dir, 'static', 'js', 'lib', 'chat-client', 'index.js'), 'utf8');
const buildIfStale = () => run(process.execPath, ['scripts/build.mjs', '--if-stale']);
const built = () => path.join(dir, 'dist', 'index.js');
const builtText = () => fs.readFileSync(built(), 'utf8');

test('--if-stale compiles when there is no dist/ or the sources changed, and otherwise does nothing', () => {
  expect(buildIfStale()).toEqual({ status: 0, output: 'build: no dist/ yet; compiling\n' });
  expect(builtText()).toContain('exports.answer = 42');
  expect(builtClient()).toContain("export const greeting = 'hello';"); // an ES module for the page, types gone
  const firstBuild = fs.statSync(built()).mtimeMs;

  expect(buildIfStale()).toEqual({ status: 0, output: '' });
  expect(fs.statSync(built()).mtimeMs).toBe(firstBuild);

  // Touched but not changed: content counts, not timestamps.
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(dir, 'src', 'index.ts'), later, later);
  expect(buildIfStale()).toEqual({ status: 0, output: '' });

  writeSource('export const answer: number = 43;\n');
  expect(buildIfStale()).toEqual({ status: 0, output: 'build: src/ changed since the last build; compiling\n' });
  expect(builtText()).toContain('exports.answer = 43');

  // A new file, and a change to the build's own configuration, count as well.
  fs.writeFileSync(path.join(dir, 'src', 'extra.ts'), 'export const extra = 1;\n');
  expect(buildIfStale().output).toContain('compiling');
  expect(fs.existsSync(path.join(dir, 'dist', 'extra.js'))).toBe(true);
  fs.appendFileSync(path.join(dir, 'tsconfig.build.json'), '\n');
  expect(buildIfStale().output).toContain('compiling');
  expect(buildIfStale()).toEqual({ status: 0, output: '' });

  fs.rmSync(built());
  expect(buildIfStale()).toEqual({ status: 0, output: 'build: no dist/ yet; compiling\n' });

  // The client library counts as a source, and its output must be there.
  writeClient("export const greeting: string = 'hi';\n");
  expect(buildIfStale().output).toContain('compiling');
  expect(builtClient()).toContain("export const greeting = 'hi';");
  fs.rmSync(path.join(dir, 'static', 'js', 'lib'), { recursive: true });
  expect(buildIfStale().output).toContain('compiling');
  expect(builtClient()).toContain("export const greeting = 'hi';");
});

test('the client library is checked with its own configuration: Node-only (and DOM-only) names fail the build', () => {
  writeClient('export const pid: number = process.pid;\n');
  const failed = buildIfStale();
  expect(failed.status).not.toBe(0);
  expect(failed.output).toContain("Cannot find name 'process'");
  writeClient('export const title: string = document.title;\n');
  expect(buildIfStale().output).toContain("Cannot find name 'document'");
});

test('a failed compile is not taken as a build: the next start tries again instead of running what is there', () => {
  expect(buildIfStale().status).toBe(0);
  writeSource('export const answer: number = "forty-two";\n');
  const failed = buildIfStale();
  expect(failed.status).not.toBe(0);
  expect(failed.output).toContain("Type 'string' is not assignable to type 'number'");
  expect(buildIfStale().status).not.toBe(0);
  // tsc still wrote dist/index.js (it emits despite type errors). Back to the sources of the last good build,
  // that output must not pass for their build.
  expect(builtText()).toContain('forty-two');
  writeSource('export const answer: number = 42;\n');
  expect(buildIfStale()).toEqual({ status: 0, output: 'build: src/ changed since the last build; compiling\n' });
  expect(builtText()).toContain('exports.answer = 42');
  expect(buildIfStale()).toEqual({ status: 0, output: '' });
});

test('npm install and npm ci build through `prepare`, in the package root', () => {
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund']);
  expect(install.status).toBe(0);
  expect(install.output).toContain('no dist/ yet; compiling');
  expect(builtText()).toContain('exports.answer = 42');

  fs.rmSync(path.join(dir, 'dist'), { recursive: true });
  const ci = run('npm', ['ci', '--offline', '--no-audit', '--no-fund']);
  expect(ci.status).toBe(0);
  expect(ci.output).toContain('no dist/ yet; compiling');
  expect(fs.existsSync(built())).toBe(true);
});

test("the project's scripts: prepare and prestart build only what is stale, build always compiles, start runs node itself", () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
  expect(scripts).toMatchObject({
    build: 'node scripts/build.mjs',
    prepare: 'node scripts/build.mjs --if-stale',
    prestart: 'node scripts/build.mjs --if-stale',
    // exec: npm's signals reach the server (tests/npm-start.test.ts)
    start: 'exec node dist/index.js',
  });
  expect(scripts.test).toMatch(/^npm run build && /);
});
