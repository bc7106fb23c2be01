/**
 * The host APIs the library uses, and nothing else: browsers and Node 20 both have them. Declared here rather
 * than taken from the DOM or Node type definitions, so that the compiler refuses anything only one of them has
 * (`window`, `document`, `process`, `Buffer`). Web storage is reached through `globalThis` (storage.ts).
 */
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
/** Base64 to a binary string: used to read a JWT's expiry (jwt.ts). */
declare function atob(data: string): string;
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };
declare const console: { warn(...data: unknown[]): void };
