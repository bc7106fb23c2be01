/** The figures as text: one block per client count (project, reference, ratio), then growth with clients. */
import { CONDITIONS, FIGURES, ratio, type Figure } from './figures';
import type { Machine } from './machine';
import { DISTURBED_PERCENT } from './interference';
import type { RunResult } from './measure';
import type { ProfileSummary } from './profile';

export interface Results {
  machine: Machine;
  options: object;
  runs: RunResult[];
}

const LABEL = 52;
const COL = 13;

export function formatTable({ machine, runs }: Results): string {
  const lines: string[] = [];
  lines.push(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, socket.io ${machine.socketIo}`);
  lines.push(`SQLite file on ${machine.databaseFileSystem}; ${machine.date}`);
  const counts = [...new Set(runs.map((r) => r.clients))];
  for (const clients of counts) {
    const project = runs.find((r) => r.clients === clients && r.server === 'project');
    const reference = runs.find((r) => r.clients === clients && r.server === 'reference');
    lines.push('', `── ${clients.toLocaleString('en')} clients ${'─'.repeat(Math.max(0, LABEL + 3 * COL - 14 - String(clients).length))}`);
    lines.push(pad('', LABEL) + lpad('project', COL) + lpad('reference', COL) + lpad('project/ref', COL));
    for (const figure of [...FIGURES, ...CONDITIONS]) {
      const r = ratio(figure, project, reference);
      const ratioText = r === undefined || CONDITIONS.includes(figure) ? '' : `${r.toFixed(r < 10 ? 2 : 1)}${mark(figure, r)}`;
      lines.push(
        pad(`${figure.label} (${figure.unit})`, LABEL) +
          lpad(show(figure, project), COL) +
          lpad(show(figure, reference), COL) +
          lpad(ratioText, COL),
      );
    }
    for (const run of [project, reference]) if (run) lines.push(...warnings(run));
  }
  if (counts.length > 1) lines.push('', ...growth(runs, counts));
  for (const run of runs) {
    for (const [phase, profile] of Object.entries(run.profiles ?? {})) lines.push('', ...hotspots(run, phase, profile));
  }
  lines.push('', 'ratio marks: ✓ project at least as good as the reference, ✗ worse by more than 10 %.');
  return lines.join('\n');
}

/** Errors, and phases measured while other processes competed for the CPU. */
function warnings(run: RunResult): string[] {
  const lines = run.error ? [`  ! ${run.server}: ${run.error}`] : [];
  for (const phase of ['saturation', 'latency', 'private', 'store'] as const) {
    const other = run[phase]?.otherCpuPercent;
    if (other !== undefined && other >= DISTURBED_PERCENT) {
      lines.push(`  ! ${run.server} ${phase}: other processes used ${Math.round(other)}% of a core meanwhile; figures are pessimistic`);
    }
  }
  return lines;
}

function growth(runs: RunResult[], counts: number[]): string[] {
  const lines = [`── growth with clients ${'─'.repeat(Math.max(0, LABEL + counts.length * COL - 23))}`];
  lines.push(pad('', LABEL) + counts.map((n) => lpad(n.toLocaleString('en'), COL)).join(''));
  for (const figure of FIGURES) {
    for (const server of ['project', 'reference'] as const) {
      const label = server === 'project' ? `${figure.label} (${figure.unit})` : '';
      const cells = counts.map((n) => lpad(show(figure, runs.find((r) => r.clients === n && r.server === server)), COL));
      lines.push(pad(label, LABEL - 10) + pad(server, 10) + cells.join(''));
    }
  }
  return lines;
}

function hotspots(run: RunResult, phase: string, p: ProfileSummary): string[] {
  const lines = [`── ${run.server} server CPU profile, ${phase}, ${run.clients.toLocaleString('en')} clients ──`];
  lines.push('time by area: ' + Object.entries(p.byArea).slice(0, 8).map(([k, v]) => `${k} ${v}%`).join(', '));
  lines.push('hottest functions (self time):');
  for (const h of p.topSelf.slice(0, 10)) lines.push(`  ${lpad(h.percent.toFixed(1), 5)}%  ${h.name}  ${h.where}`);
  if (p.topProject.length > 0) lines.push('project functions (inclusive time):');
  for (const h of p.topProject.slice(0, 8)) lines.push(`  ${lpad(h.percent.toFixed(1), 5)}%  ${h.name}  ${h.where}`);
  lines.push(`  (profile: ${p.file})`);
  return lines;
}

function show(figure: Figure, run: RunResult | undefined): string {
  const v = run && figure.value(run);
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en', { minimumFractionDigits: figure.digits, maximumFractionDigits: figure.digits });
}

function mark(figure: Figure, r: number): string {
  const good = figure.better === 'higher' ? r >= 1 : r <= 1;
  const bad = figure.better === 'higher' ? r < 0.9 : r > 1.1;
  return good ? ' ✓' : bad ? ' ✗' : '  ';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n - 1) + ' ' : s + ' '.repeat(n - s.length);
}

function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
