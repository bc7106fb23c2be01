/**
 * docs/bench/chart.svg, written by hand: one small panel per figure, and in each panel a bar per server
 * per client count, under each group the ratios of COMPARISONS (project/reference, cluster/pg), green when
 * the first server is at least as good, red when it is more than 10 % worse.
 */
import { COMPARISONS, disturbed, FIGURES, ratio, verdict, type Figure } from './figures';
import { DISTURBED_PERCENT } from './interference';
import type { RunResult } from './measure';
import type { Results } from './report';
import { SERVER_KINDS, type ServerKind } from './server-group';

const COLORS: Record<ServerKind, string> = { project: '#d9590b', pg: '#2f8f5b', cluster: '#7b4fa8', reference: '#5b6b8c' };
const GOOD = '#1a7f37';
const BAD = '#c0392b';
const PANEL_W = 300;
const PANEL_H = 244;
const COLUMNS = 4;
const TOP = 100;
const MARGIN = 20;

export function renderChart({ machine, runs }: Results): string {
  const counts = [...new Set(runs.map((r) => r.clients))];
  const servers = SERVER_KINDS.filter((k) => runs.some((r) => r.server === k));
  const comparisons = COMPARISONS.filter((c) => servers.includes(c.of) && servers.includes(c.to));
  const rows = Math.ceil(FIGURES.length / COLUMNS);
  const width = MARGIN * 2 + COLUMNS * PANEL_W;
  const height = TOP + rows * PANEL_H + MARGIN;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(MARGIN, 30, title(servers), { size: 20, weight: 'bold' }),
    text(
      MARGIN,
      52,
      `${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · socket.io ${machine.socketIo} · ` +
        `SQLite on ${machine.databaseFileSystem}${machine.postgres ? ` · ${machine.postgres.replace(/ \(.*/, '')}` : ''}` +
        `${machine.redis ? ` · ${machine.redis}` : ''} · ${machine.date.slice(0, 10)}`,
      { size: 12, fill: '#555' },
    ),
    legend(width - MARGIN - 330, 26, servers, runs.some((run) => FIGURES.some((f) => disturbed(f, run, DISTURBED_PERCENT)))),
  ];
  FIGURES.forEach((figure, i) => {
    const x = MARGIN + (i % COLUMNS) * PANEL_W;
    const y = TOP + Math.floor(i / COLUMNS) * PANEL_H;
    parts.push(panel(figure, runs, { counts, servers, comparisons }, x, y));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

interface Layout {
  counts: number[];
  servers: ServerKind[];
  comparisons: typeof COMPARISONS;
}

function panel(figure: Figure, runs: RunResult[], { counts, servers, comparisons }: Layout, x0: number, y0: number): string {
  const find = (server: string, n: number) => runs.find((r) => r.server === server && r.clients === n);
  const values = counts.flatMap((n) => servers.map((s) => valueOf(figure, find(s, n))));
  const max = Math.max(...values.filter((v): v is number => v !== undefined), 0) * 1.18 || 1;
  const plotX = x0 + 12;
  const plotW = PANEL_W - 36;
  const plotTop = y0 + 48;
  const plotH = PANEL_H - 100 - 14 * (comparisons.length - 1);
  const base = plotTop + plotH;
  const groupW = plotW / counts.length;
  const barW = Math.min(36, groupW / (servers.length + 1));
  const out: string[] = [
    `<rect x="${x0 + 2}" y="${y0}" width="${PANEL_W - 12}" height="${PANEL_H - 12}" rx="6" fill="#f7f8fa" stroke="#e1e4e8"/>`,
    text(x0 + 12, y0 + 20, figure.short ?? figure.label, { size: 13, weight: 'bold' }),
    text(x0 + 12, y0 + 36, `${figure.unit} · ${figure.better} is better · by clients`, { size: 11, fill: '#666' }),
    `<line x1="${plotX}" y1="${base}" x2="${plotX + plotW}" y2="${base}" stroke="#999"/>`,
  ];
  counts.forEach((n, g) => {
    const center = plotX + groupW * (g + 0.5);
    servers.forEach((server, k) => {
      const v = valueOf(figure, find(server, n));
      const bx = center - (servers.length * (barW + 4) - 4) / 2 + k * (barW + 4);
      const run = find(server, n);
      if (v === undefined) {
        const why = run?.predictedSetupSeconds !== undefined ? 'skipped' : run?.error ? 'failed' : 'n/a';
        out.push(vertical(bx + barW / 2 + 4, base - 4, why));
        return;
      }
      const mark = run && disturbed(figure, run, DISTURBED_PERCENT) ? '*' : '';
      const h = Math.max(1, (v / max) * plotH);
      out.push(`<rect x="${bx.toFixed(1)}" y="${(base - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[server]}"><title>${server}, ${n} clients: ${v}</title></rect>`);
      out.push(text(bx + barW / 2, base - h - 4, compact(v) + mark, { size: 10, anchor: 'middle', fill: '#222' }));
    });
    out.push(text(center, base + 16, clientsLabel(n), { size: 11, anchor: 'middle', fill: '#444' }));
    comparisons.forEach((c, line) => {
      const r = ratio(figure, find(c.of, n), find(c.to, n));
      if (r === undefined) return;
      const v = verdict(figure, r);
      const fill = v === 'good' ? GOOD : v === 'bad' ? BAD : '#666';
      const label = comparisons.length > 1 ? `${c.of[0]}/${c.to[0]} ` : '';
      out.push(text(center, base + 32 + 14 * line, `${label}${compact(r)}×`, { size: 11, anchor: 'middle', weight: 'bold', fill }));
    });
  });
  return out.join('\n');
}

/** A label written upwards from (x, y), for a bar that is missing. */
function vertical(x: number, y: number, content: string): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="10" fill="#999" transform="rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})">${escape(content)}</text>`;
}

function title(servers: ServerKind[]): string {
  const own = servers.filter((s) => s !== 'reference');
  return servers.includes('reference') ? `Chat server (${own.join(', ')}) vs bare Socket.IO (reference)` : `Chat server: ${own.join(', ')}`;
}

function legend(x: number, y: number, servers: ServerKind[], anyDisturbed: boolean): string {
  const keys = servers.map((s, k) =>
    [`<rect x="${x + k * 82}" y="${y - 10}" width="12" height="12" fill="${COLORS[s]}"/>`, text(x + k * 82 + 18, y, s, { size: 12 })].join('\n'),
  );
  const ratios = COMPARISONS.filter((c) => servers.includes(c.of) && servers.includes(c.to)).map((c) => `${c.of} ÷ ${c.to}`);
  const notes = [
    ratios.length > 0 ? `ratios under each group: ${ratios.join(', ')}` : '',
    servers.includes('cluster') ? 'cluster latency: senders on node 1, receivers on node 2' : '',
    anyDisturbed ? '* measured while other processes competed' : '',
  ].filter(Boolean);
  return [...keys, ...notes.map((note, i) => text(x, y + 18 + 16 * i, note, { size: 11, fill: '#666' }))].join('\n');
}

function valueOf(figure: Figure, run: RunResult | undefined): number | undefined {
  const v = run && figure.value(run);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

interface TextStyle {
  size: number;
  weight?: string;
  fill?: string;
  anchor?: 'start' | 'middle' | 'end';
}

function text(x: number, y: number, content: string, s: TextStyle): string {
  const attrs = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    `font-size="${s.size}"`,
    s.weight ? `font-weight="${s.weight}"` : '',
    `fill="${s.fill ?? '#111'}"`,
    s.anchor ? `text-anchor="${s.anchor}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escape(content)}</text>`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 100 → "100", 3000 → "3k", 2500 → "2.5k": short enough for four groups side by side. */
function clientsLabel(n: number): string {
  return n >= 1000 ? `${n / 1000}k` : String(n);
}

/** 1234567 → 1.2M, 45678 → 46k, 1234 → 1.2k, 12.34 → 12.3, 0.1234 → 0.12 */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
