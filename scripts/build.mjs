#!/usr/bin/env node
// Compiles src/ to dist/ (tsc -p tsconfig.build.json), and the client library (client/, docs/client.md) to the
// ES modules the page imports, static/js/lib/chat-client/ (generated, not committed), and records what it
// compiled, so that a start can tell whether both are current without compiling again (issue 20: `npm start`
// used to spend 13-45 s in tsc on every start).
//
// The library is type-checked with its own configuration (client/tsconfig.json: no Node or DOM types), then
// each file is compiled on its own (TypeScript's transpileModule: its type imports, of src/protocol/ among
// others, vanish), so the output holds the library's files and nothing else.
//
//   node scripts/build.mjs             compile (npm run build, npm test)
//   node scripts/build.mjs --if-stale  compile only if src/ or the tsconfig files changed since the last
//                                      successful build (npm install's `prepare`, npm start's `prestart`)
//
// "Changed" is by content: a SHA-256 over the paths and bytes of every file under src/ and client/ and of the
// two tsconfig files, kept in dist/.build-stamp once both compiled. Reading them takes a few milliseconds; timestamps would
// be cheaper still, but a checkout, a copy or an unpacked archive can leave sources older than a stale build.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(root, 'dist', '.build-stamp');
const ENTRY = path.join(root, 'dist', 'index.js');
const CLIENT_SOURCES = path.join(root, 'client');
const CLIENT_OUT = path.join(root, 'static', 'js', 'lib', 'chat-client');
const INPUTS = ['src', 'client', 'tsconfig.json', 'tsconfig.build.json'];

const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
if (args.some((a) => a !== '--if-stale')) {
  console.error('usage: node scripts/build.mjs [--if-stale]');
  process.exit(64);
}

const hash = sourceHash();
const built = fs.existsSync(ENTRY) && fs.existsSync(path.join(CLIENT_OUT, 'index.js'));
if (ifStale && built && readStamp() === hash) process.exit(0);
if (ifStale) console.error(fs.existsSync(ENTRY) ? 'build: src/ changed since the last build; compiling' : 'build: no dist/ yet; compiling');
process.exit(compile(hash));

/** Runs tsc; writes the stamp only when it succeeded, so a failed build is tried again by the next start. */
function compile(hash) {
  // All of dist/ goes, not only the stamp: a module moved or removed in src/ must not survive in dist/, where a
  // stale dist/store/sqlite.js would shadow a new dist/store/sqlite/index.js.
  fs.rmSync(path.dirname(STAMP), { recursive: true, force: true });
  fs.rmSync(CLIENT_OUT, { recursive: true, force: true });
  const requireHere = createRequire(path.join(root, 'package.json'));
  let tsc;
  try {
    tsc = requireHere.resolve('typescript/bin/tsc');
  } catch {
    console.error('build: TypeScript is not installed (installed without dev dependencies?); run npm ci (or npm install) to build');
    return 1;
  }
  for (const project of ['tsconfig.build.json', path.join('client', 'tsconfig.json')]) {
    const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, project)], { cwd: root, stdio: 'inherit' });
    if (run.status !== 0) return run.status ?? 1;
  }
  compileClient(requireHere('typescript'));
  fs.writeFileSync(STAMP, `${hash}\n`);
  return 0;
}

/** client/*.ts, each to an ES module of the same name; a package.json marks them as such for Node. */
function compileClient(ts) {
  fs.mkdirSync(CLIENT_OUT, { recursive: true });
  const compilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true };
  for (const name of fs.readdirSync(CLIENT_SOURCES)) {
    if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
    const source = fs.readFileSync(path.join(CLIENT_SOURCES, name), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: name });
    fs.writeFileSync(path.join(CLIENT_OUT, name.replace(/\.ts$/, '.js')), outputText);
  }
  fs.writeFileSync(path.join(CLIENT_OUT, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
}

function readStamp() {
  try {
    return fs.readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function sourceHash() {
  const digest = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => filesUnder(path.join(root, input))).sort()) {
    const bytes = fs.readFileSync(file);
    digest.update(`${path.relative(root, file)}\0${bytes.length}\0`);
    digest.update(bytes);
  }
  return digest.digest('hex');
}

function filesUnder(at) {
  if (!fs.statSync(at).isDirectory()) return [at];
  return fs.readdirSync(at, { withFileTypes: true }).flatMap((entry) => filesUnder(path.join(at, entry.name)));
}
