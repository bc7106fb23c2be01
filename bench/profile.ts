/**
 * Reads V8 CPU profiles (.cpuprofile; one per node of a server, over the same phase) into the few lines a
 * reader needs: where the time went by package, the hottest functions by self time, and the project's own
 * functions (src/) by inclusive time, over all the profiles together.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  where: string;
  percent: number;
}

export interface ProfileSummary {
  /** One per node; the figures are over all of them together. */
  files: string[];
  /** Share of sampled time per package or category (src, socket.io, engine.io, ws, GC, idle, …). */
  byArea: Record<string, number>;
  topSelf: Hotspot[];
  /** Functions in src/ by inclusive time (themselves and what they call). */
  topProject: Hotspot[];
}

export function summarizeProfile(files: string[], top = 12): ProfileSummary {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      total += dt;
      const node = byId.get(id)!;
      add(self, key(node), dt);
      add(areas, area(node.callFrame.url, node.callFrame.functionName), dt);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!;
        if (area(frame.callFrame.url, '') !== 'src') continue;
        const k = key(frame);
        if (!seen.has(k)) add(inclusive, k, dt);
        seen.add(k);
      }
    });
  }

  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => {
        const [name, where] = k.split('\t');
        return { name, where, percent: round((100 * t) / total) };
      });
  return {
    files,
    byArea: Object.fromEntries([...areas.entries()].sort((a, b) => b[1] - a[1]).map(([k, t]) => [k, round((100 * t) / total)])),
    topSelf: ranked(self),
    topProject: ranked(inclusive),
  };
}

function key(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}\t${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
}

/** dist-bench/src/x.js → src/x.js; node_modules/<pkg>/… → <pkg>/… */
function shortUrl(url: string): string {
  const src = url.indexOf('/dist-bench/src/');
  if (src >= 0) return url.slice(src + '/dist-bench/'.length);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

function area(url: string, functionName: string): string {
  if (url.includes('/dist-bench/src/')) return 'src';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  if (functionName.startsWith('(')) return functionName; // (garbage collector), (idle), (program)
  return url ? 'other' : 'native';
}

function add(map: Map<string, number>, k: string, v: number): void {
  map.set(k, (map.get(k) ?? 0) + v);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
