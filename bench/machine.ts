/** What the figures were measured on; written into results.json next to them. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  socketIo: string;
  /** File system holding the SQLite file: fsync cost, and so the project's write rate, depends on it. */
  databaseFileSystem: string;
  openFileLimit: string;
  date: string;
  /** When a server on PostgreSQL ran: its version and commit durability. */
  postgres?: string;
  /** When the cluster ran: the redis-server it started. */
  redis?: string;
  /** CPU steal over the whole run (steal.ts): above 10 % the figures measure the host. */
  stealPercent?: number;
}

export function describeMachine(databaseDir: string): Machine {
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    socketIo: packageVersion('socket.io'),
    databaseFileSystem: fileSystemOf(databaseDir),
    openFileLimit: openFileLimit(),
    date: new Date().toISOString(),
  };
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The longest mount point of /proc/mounts containing `dir`, as "type (mount point)". */
function fileSystemOf(dir: string): string {
  try {
    const real = fs.realpathSync(dir);
    let best = { mount: '', type: 'unknown' };
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (!mount || !type) continue;
      const inside = real === mount || real.startsWith(mount.endsWith(path.sep) ? mount : mount + path.sep);
      if (inside && mount.length >= best.mount.length) best = { mount, type };
    }
    return `${best.type} (${best.mount})`;
  } catch {
    return 'unknown';
  }
}

/** Soft/hard open-file limits; each server child raises its soft limit to the hard one. */
function openFileLimit(): string {
  try {
    const soft = execFileSync('/bin/sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim();
    const hard = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return `${soft}/${hard}`;
  } catch {
    return 'unknown';
  }
}

/** The soft open-file limit of this process (the load generator holds one descriptor per client). */
export function softFileLimit(): number {
  const limit = openFileLimit().split('/')[0];
  return limit === 'unlimited' ? Infinity : Number(limit);
}
