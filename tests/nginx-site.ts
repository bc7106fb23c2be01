/**
 * The files a test nginx runs (tests/nginx.ts starts it). A documented site file (docs/nginx/) is changed in
 * three ways only: the `server` lines of its upstreams point at the test's servers, its `listen 80` and
 * `listen 443` lines at free ports of 127.0.0.1 (the `[::]` ones are dropped: loopback IPv4 only), and its
 * certificate paths at the test's own. It is then placed either alone inside `http {}` ("bare"), or as on a
 * Debian or Ubuntu machine with the nginx package: the package's own nginx.conf, which includes conf.d/*.conf
 * and sites-enabled/*, with the package's default site enabled ("Welcome to nginx!", `default_server`), and
 * the site installed as docs/deployment.md says (sites-available/chat linked from sites-enabled, or conf.d).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Ports {
  http: number;
  https: number;
}

/** Where the site goes in a Debian layout; undefined: the bare layout. */
export type Placement = 'sites-enabled' | 'conf.d' | undefined;

export interface Certificate {
  cert: string;
  key: string;
}

/** The package's files the Debian layout is built from. */
const DEBIAN_CONF = '/etc/nginx/nginx.conf';
const DEBIAN_DEFAULT_SITE = '/etc/nginx/sites-available/default';

/** Why a Debian layout cannot be made here (not Debian's nginx package), or undefined. */
export function debianMissing(): string | undefined {
  const missing = [DEBIAN_CONF, DEBIAN_DEFAULT_SITE].filter((file) => !fs.existsSync(file));
  return missing.length === 0 ? undefined : `${missing.join(' and ')} missing (not Debian's nginx package)`;
}

/** The site's text with the test's upstream servers and certificate. */
export function adaptSite(site: string, upstreams: Record<string, string[]>, tls: Certificate | undefined): string {
  return withCertificate(withUpstreams(site, upstreams), tls);
}

/** Writes nginx.conf (and the Debian tree) into `dir`; returns the path of nginx.conf. */
export function writeConfiguration(dir: string, site: string, ports: Ports, placement: Placement): string {
  const conf = path.join(dir, 'nginx.conf');
  const chat = withListen(site, ports);
  if (placement === undefined) {
    fs.writeFileSync(conf, bareConf(dir, chat));
    return conf;
  }
  for (const sub of ['conf.d', 'sites-available', 'sites-enabled']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(conf, debianConf(dir, fs.readFileSync(DEBIAN_CONF, 'utf8')));
  enable(dir, 'default', withListen(fs.readFileSync(DEBIAN_DEFAULT_SITE, 'utf8'), ports));
  if (placement === 'conf.d') fs.writeFileSync(path.join(dir, 'conf.d', 'chat.conf'), chat);
  else enable(dir, 'chat', chat);
  return conf;
}

/** sites-available/NAME, linked from sites-enabled/ (`ln -s ../sites-available/NAME /etc/nginx/sites-enabled/`). */
function enable(dir: string, name: string, text: string): void {
  fs.writeFileSync(path.join(dir, 'sites-available', name), text);
  fs.symlinkSync(path.join('..', 'sites-available', name), path.join(dir, 'sites-enabled', name));
}

/** Files nginx writes go to `dir`, whoever runs the test. */
function temporaryPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n');
}

function bareConf(dir: string, site: string): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
${temporaryPaths(dir)}
${site}
}
`;
}

/** The package's nginx.conf, with its paths moved into `dir` and nothing else changed. */
function debianConf(dir: string, conf: string): string {
  const replaced = conf
    .replace(/^\s*user\s[^;]*;/m, '') // a test's nginx runs as whoever runs the test
    .replace(/^\s*worker_processes\s[^;]*;/m, 'worker_processes 1;')
    .replace(/^\s*pid\s[^;]*;/m, `pid ${dir}/nginx.pid;`)
    .replace(/^\s*error_log\s[^;]*;/m, `error_log ${dir}/error.log warn;`)
    .replace(/^\s*access_log\s[^;]*;/m, 'access_log off;')
    .replace('/etc/nginx/conf.d/', `${dir}/conf.d/`)
    .replace('/etc/nginx/sites-enabled/', `${dir}/sites-enabled/`)
    .replace(/^http\s*\{/m, (open) => `${open}\n${temporaryPaths(dir)}`);
  for (const include of [`${dir}/conf.d/*.conf`, `${dir}/sites-enabled/*`]) {
    if (!replaced.includes(`include ${include};`)) throw new Error(`${DEBIAN_CONF} does not include ${include.slice(dir.length + 1)} as expected`);
  }
  return replaced;
}

/** Replaces the `server` lines of each named upstream block, keeping its other directives (keepalive…). */
function withUpstreams(site: string, upstreams: Record<string, string[]>): string {
  let result = site;
  for (const [name, servers] of Object.entries(upstreams)) {
    if (servers.length === 0) throw new Error(`upstream ${name}: no servers given`);
    const block = new RegExp(`(upstream\\s+${name}\\s*\\{)([^}]*)\\}`);
    if (!block.test(result)) throw new Error(`the site has no upstream ${name}`);
    result = result.replace(block, (_all, open: string, body: string) => {
      // The documented parameters of the first server line (max_fails=… fail_timeout=…) apply to every one.
      const params = /^\s*server\s+[^\s;]+([^;]*);/m.exec(body)?.[1] ?? '';
      const lines = servers.map((s) => `    server ${s.includes('://') ? new URL(s).host : s}${params};`).join('\n');
      return `${open}\n${lines}${body.replace(/^\s*server\s[^;]*;.*$/gm, '')}}`;
    });
  }
  return result;
}

/** `listen 80 …;` and `listen 443 …;` on ports of 127.0.0.1, keeping their parameters; `listen [::]:…` dropped. */
function withListen(site: string, ports: Ports): string {
  if (!/^\s*listen 80\b/m.test(site)) throw new Error('the site has no "listen 80" to replace');
  return site
    .replace(/^[ \t]*listen \[::\]:\d+[^;]*;[ \t]*\n/gm, '')
    .replace(/^(\s*)listen 80\b([^;]*);/gm, (_all, indent: string, params: string) => `${indent}listen 127.0.0.1:${ports.http}${params};`)
    .replace(/^(\s*)listen 443\b([^;]*);/gm, (_all, indent: string, params: string) => `${indent}listen 127.0.0.1:${ports.https}${params};`);
}

function withCertificate(site: string, tls: Certificate | undefined): string {
  const lines = /^(\s*)ssl_certificate(_key)?\s[^;]*;/gm;
  if (!lines.test(site)) {
    if (tls !== undefined) throw new Error('the site has no ssl_certificate lines to replace');
    return site;
  }
  if (tls === undefined) throw new Error('the site uses TLS: give startNginx a certificate (tls)');
  return site.replace(lines, (_all, indent: string, key: string | undefined) => `${indent}ssl_certificate${key ?? ''} ${key ? tls.key : tls.cert};`);
}
