/**
 * docs/bench/chart.svg, written by hand: one small panel per figure, and in each panel a pair of bars
 * (project, reference) per client count, the ratio project/reference under each pair, green when the
 * project is at least as good, red when it is more than 10 % worse.
 */
import { disturbed, FIGURES, ratio, type Figure } from './figures';
import { DISTURBED_PERCENT } from './interference';
import type { RunResult } from './measure';
import type { Results } from './report';

const COLORS = { project: '#d9590b', reference: '#5b6b8c' } as const;
const GOOD = '#1a7f37';
const BAD = '#c0392b';
const PANEL_W = 300;
const PANEL_H = 230;
const COLUMNS = 4;
const TOP = 86;
const MARGIN = 20;

export function renderChart({ machine, runs }: Results): string {
  const counts = [...new Set(runs.map((r) => r.clients))];
  const rows = Math.ceil(FIGURES.length / COLUMNS);
  const width = MARGIN * 2 + COLUMNS * PANEL_W;
  const height = TOP + rows * PANEL_H + MARGIN;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(MARGIN, 30, 'Chat server (project) vs bare Socket.IO (reference)', { size: 20, weight: 'bold' }),
    text(
      MARGIN,
      52,
      `${machine.cpuModel}, ${machine.cores} cores · Node ${machine.node} · socket.io ${machine.socketIo} · ` +
        `SQLite on ${machine.databaseFileSystem} · ${machine.date.slice(0, 10)}`,
      { size: 12, fill: '#555' },
    ),
    legend(width - MARGIN - 250, 26, runs.some((run) => FIGURES.some((f) => disturbed(f, run, DISTURBED_PERCENT)))),
  ];
  FIGURES.forEach((figure, i) => {
    const x = MARGIN + (i % COLUMNS) * PANEL_W;
    const y = TOP + Math.floor(i / COLUMNS) * PANEL_H;
    parts.push(panel(figure, runs, counts, x, y));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function panel(figure: Figure, runs: RunResult[], counts: number[], x0: number, y0: number): string {
  const find = (server: string, n: number) => runs.find((r) => r.server === server && r.clients === n);
  const values = counts.flatMap((n) => ['project', 'reference'].map((s) => valueOf(figure, find(s, n))));
  const max = Math.max(...values.filter((v): v is number => v !== undefined), 0) * 1.18 || 1;
  const plotX = x0 + 12;
  const plotW = PANEL_W - 36;
  const plotTop = y0 + 48;
  const plotH = PANEL_H - 100;
  const base = plotTop + plotH;
  const groupW = plotW / counts.length;
  const barW = Math.min(36, groupW / 3);
  const out: string[] = [
    `<rect x="${x0 + 2}" y="${y0}" width="${PANEL_W - 12}" height="${PANEL_H - 12}" rx="6" fill="#f7f8fa" stroke="#e1e4e8"/>`,
    text(x0 + 12, y0 + 20, figure.short ?? figure.label, { size: 13, weight: 'bold' }),
    text(x0 + 12, y0 + 36, `${figure.unit} · ${figure.better} is better · by clients`, { size: 11, fill: '#666' }),
    `<line x1="${plotX}" y1="${base}" x2="${plotX + plotW}" y2="${base}" stroke="#999"/>`,
  ];
  counts.forEach((n, g) => {
    const center = plotX + groupW * (g + 0.5);
    (['project', 'reference'] as const).forEach((server, k) => {
      const v = valueOf(figure, find(server, n));
      const bx = center - barW - 2 + k * (barW + 4);
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
    const r = ratio(figure, find('project', n), find('reference', n));
    if (r !== undefined) {
      const good = figure.better === 'higher' ? r >= 1 : r <= 1;
      const bad = figure.better === 'higher' ? r < 0.9 : r > 1.1;
      const fill = good ? GOOD : bad ? BAD : '#666';
      out.push(text(center, base + 32, `${compact(r)}×`, { size: 12, anchor: 'middle', weight: 'bold', fill }));
    }
  });
  return out.join('\n');
}

/** A label written upwards from (x, y), for a bar that is missing. */
function vertical(x: number, y: number, content: string): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="10" fill="#999" transform="rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})">${escape(content)}</text>`;
}

function legend(x: number, y: number, anyDisturbed: boolean): string {
  return [
    `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS.project}"/>`,
    text(x + 18, y, 'project', { size: 12 }),
    `<rect x="${x + 80}" y="${y - 10}" width="12" height="12" fill="${COLORS.reference}"/>`,
    text(x + 98, y, 'reference', { size: 12 }),
    text(x, y + 18, 'ratio under each pair: project ÷ reference', { size: 11, fill: '#666' }),
    anyDisturbed ? text(x, y + 34, '* measured while other processes competed', { size: 11, fill: '#666' }) : '',
  ].join('\n');
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
