import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';

/**
 * A hint for a 404 that is most likely a BASE_PATH mismatch (issue 20: a forgotten BASE_PATH answered
 * `Nothing at GET /chat/.` and nothing more). Two cases:
 *
 * - BASE_PATH is set and the request is outside it (`/socket.io/…` or `/` with BASE_PATH=/chat): a proxy that
 *   strips the prefix, or a link to the root. The hint names where the chat is.
 * - The request is something the chat serves behind a prefix (`/chat/`, `/chat/socket.io/…`, `/chat/healthz`)
 *   that is not BASE_PATH: a proxy that publishes the chat under a sub-path the server was not told about.
 *   The hint names the BASE_PATH to set.
 *
 * What it tells is what a visitor can already see in the page's own URLs (the prefix); nothing of the rest of
 * the configuration. The request's path is repeated only as a prefix that would be a valid BASE_PATH.
 */
export type NotFoundHint = (requestPath: string) => string | undefined;

/** Every path the app answers by itself, below BASE_PATH: its routes, the page and its files, Socket.IO. */
export type Serves = (path: string) => boolean;

export function servedPaths(router: Router, staticDir: string): Serves {
  const files = new Set(filesUnder(staticDir).map((file) => `/${path.relative(staticDir, file).split(path.sep).join('/')}`));
  return (p) => p === '/' || files.has(p) || p.startsWith('/socket.io/') || router.match(p, 'GET').route;
}

/** A prefix that could be a BASE_PATH: what config.ts accepts, and not absurdly long. */
const PREFIX = /^(\/(?!\.\.?(\/|$))[\w~.-]+){1,8}$/;

export function notFoundHint(basePath: string, serves: Serves): NotFoundHint {
  return (requestPath) => {
    const outside = basePath !== '' && requestPath !== basePath && !requestPath.startsWith(`${basePath}/`);
    if (basePath !== '' && !outside) return undefined; // an ordinary 404 inside the prefix
    const prefix = servedUnder(requestPath, serves);
    if (basePath === '') {
      if (prefix === undefined) return undefined;
      return (
        `This server serves the chat at the root (/): BASE_PATH is not set. This request looks like one for the chat under ${prefix}/: ` +
        `if a proxy publishes it there and passes the path on unchanged, start the server with BASE_PATH=${prefix} (or have the proxy strip ${prefix}).`
      );
    }
    const where = `This server serves the chat under ${basePath}/ (BASE_PATH=${basePath}), and nothing outside it.`;
    if (serves(requestPath)) {
      return `${where} Did you mean ${basePath}${requestPath}? If a proxy in front removes ${basePath} from the path, have it pass the path on unchanged, or unset BASE_PATH.`;
    }
    if (prefix !== undefined) return `${where} This request looks like one for the chat under ${prefix}/: if that is where it is published, set BASE_PATH=${prefix}.`;
    return `${where} The page is at ${basePath}/.`;
  };
}

/** The shortest prefix of `requestPath` below which the rest is something the chat serves. */
function servedUnder(requestPath: string, serves: Serves): string | undefined {
  for (let cut = requestPath.indexOf('/', 1); cut > 0; cut = requestPath.indexOf('/', cut + 1)) {
    const prefix = requestPath.slice(0, cut);
    if (!PREFIX.test(prefix)) return undefined;
    if (serves(requestPath.slice(cut))) return prefix;
  }
  return undefined;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const at = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(at) : [at];
  });
}
