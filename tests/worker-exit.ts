/**
 * Jest setup (jest.config.js `setupFiles`): lets a test worker exit as soon as its last test file is done.
 *
 * Node's `fetch` (undici) parses HTTP with a WebAssembly module. V8 first compiles it with its baseline
 * compiler and recompiles hot functions with TurboFan on background threads, and a process that is done
 * still waits for those jobs before it exits (Node drains the platform's tasks). On this busy machine that
 * took 120-460 ms after the last test of a worker that used `fetch`, past Jest's 500 ms grace for a worker to
 * exit: "A worker process has failed to exit gracefully and has been force exited" (issue 8), with no
 * handle left open. Baseline code only is plenty for tests, and leaves nothing to wait for.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--liftoff-only');
