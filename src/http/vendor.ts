import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';

/**
 * Browser modules the page imports from npm packages, served from node_modules as they were published (so the
 * page stays within its Content-Security-Policy: `script-src 'self'`, nothing from elsewhere):
 * - `js/vendor/uqr.mjs`: uqr, the QR code encoder the page draws sign-in links with (static/js/qr.js).
 */
const MODULES: Record<string, string> = {
  'uqr.mjs': path.join(path.dirname(require.resolve('uqr')), 'index.mjs'),
};

export function serveVendor(router: Router): void {
  for (const [name, file] of Object.entries(MODULES)) {
    const source = fs.readFileSync(file); // read once: a missing package fails at start-up, not in a browser
    router.get(`/js/vendor/${name}`, (ctx) => {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = source;
    });
  }
}
