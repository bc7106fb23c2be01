/**
 * docs/bench/soak.svg: the soak run over time, two panels: the server's memory after each interval's GC (RSS
 * and JS heap), and its latency (public p99 at the sampled receivers, event-loop delay p99). The warm-up the
 * verdict leaves out is shaded.
 */
import type { SoakResult, SoakSample } from './soak';

const W = 880;
const PANEL_H = 220;
const LEFT = 60;
const RIGHT = 20;
const TOP = 70;
const GAP = 60;

interface Series {
  label: string;
  color: string;
  pick: (s: SoakSample) => number | undefined;
}

export function renderSoakChart(r: SoakResult): string {
  const height = TOP + 2 * PANEL_H + GAP + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="28" font-size="18" font-weight="bold">Soak: ${r.minutes} minutes of churn on the SQLite node${r.rooms ? ' (with rooms)' : ''}</text>`,
    `<text x="${LEFT}" y="48" fill="#555">memory ${r.memoryFlat ? 'flat' : 'NOT flat'} (RSS ${r.rssSlopeMbPerMinute.toFixed(2)} MB/min, heap ${r.heapSlopeMbPerMinute.toFixed(2)} MB/min after warm-up); public p99 ${r.latencySteady ? 'steady' : 'drifting'} (×${r.p99Drift.toFixed(2)}, last third / first third)</text>`,
    panel(r, TOP, 'MB', [
      { label: 'RSS', color: '#d9590b', pick: (s) => s.rssMb },
      { label: 'JS heap', color: '#5b6b8c', pick: (s) => s.heapMb },
    ]),
    panel(r, TOP + PANEL_H + GAP, 'ms', [
      { label: 'public p99', color: '#d9590b', pick: (s) => s.publicP99Ms },
      { label: 'event-loop delay p99', color: '#2f8f5b', pick: (s) => s.loopDelayP99Ms },
    ]),
    `<text x="${W / 2}" y="${height - 12}" text-anchor="middle" fill="#555">seconds since the load started</text>`,
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}

function panel(r: SoakResult, y0: number, unit: string, series: Series[]): string {
  const samples = r.samples;
  const maxX = Math.max(1, ...samples.map((s) => s.at));
  const values = samples.flatMap((s) => series.map((x) => x.pick(s))).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const maxY = niceCeiling(Math.max(1, ...values));
  const x = (at: number) => LEFT + (at / maxX) * (W - LEFT - RIGHT);
  const y = (v: number) => y0 + PANEL_H - (v / maxY) * PANEL_H;
  const out: string[] = [];
  const warm = samples[Math.floor(samples.length * 0.2)]?.at ?? 0;
  out.push(`<rect x="${LEFT}" y="${y0}" width="${x(warm) - LEFT}" height="${PANEL_H}" fill="#f2f2f2"/>`);
  out.push(`<line x1="${LEFT}" y1="${y0 + PANEL_H}" x2="${W - RIGHT}" y2="${y0 + PANEL_H}" stroke="#999"/>`);
  out.push(`<line x1="${LEFT}" y1="${y0}" x2="${LEFT}" y2="${y0 + PANEL_H}" stroke="#999"/>`);
  for (const frac of [0, 0.5, 1]) {
    out.push(`<text x="${LEFT - 6}" y="${y(maxY * frac) + 4}" text-anchor="end" fill="#555">${+(maxY * frac).toFixed(1)} ${unit}</text>`);
    out.push(`<text x="${x(maxX * frac)}" y="${y0 + PANEL_H + 16}" text-anchor="middle" fill="#555">${Math.round(maxX * frac)}</text>`);
  }
  series.forEach((s, i) => {
    const points = samples
      .map((sample) => [sample.at, s.pick(sample)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]))
      .map(([at, v]) => `${x(at).toFixed(1)},${y(v).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`);
    out.push(`<text x="${LEFT + 10 + i * 170}" y="${y0 - 8}" fill="${s.color}" font-weight="bold">${s.label}</text>`);
  });
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at least `v`. */
function niceCeiling(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * power >= v) return m * power;
  return 10 * power;
}
