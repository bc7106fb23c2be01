/**
 * The figures as text: one block per client count (a column per server, then the ratios of COMPARISONS),
 * the targets, then growth with clients and the profiles.
 */
import { CONDITIONS } from './conditions';
import { COMPARISONS, FIGURES, ratio, verdict, type Figure } from './figures';
import type { Machine } from './machine';
import { DISTURBED_PERCENT } from './interference';
import type { RunResult } from './measure';
import type { ProfileSummary } from './profile';
import { DESCRIPTIONS, SERVER_KINDS, type ServerKind } from './server-group';
import type { TargetResult } from './targets';
import { diskTargets, type SlowDiskResult } from './slow-disk';
import { describeSteal } from './steal';

export interface Results {
  machine: Machine;
  options: object;
  runs: RunResult[];
  targets: TargetResult[];
  slowDisk?: SlowDiskResult;
  /** With --repeat: every run's figures, in order (the first is `runs`). */
  repeats?: RunResult[][];
}

const LABEL = 52;
const COL = 12;

export function formatTable({ machine, runs, targets, slowDisk, repeats }: Results): string {
  const lines: string[] = [];
  lines.push(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, socket.io ${machine.socketIo}`);
  lines.push(`SQLite file on ${machine.databaseFileSystem}${machine.postgres ? `; ${machine.postgres}` : ''}${machine.redis ? `; ${machine.redis}` : ''}; ${machine.date}`);
  const servers = SERVER_KINDS.filter((k) => runs.some((r) => r.server === k));
  for (const kind of servers) {
    const counted = runs.find((r) => r.server === kind && r.serverCpuCounts)?.serverCpuCounts;
    lines.push(`  ${kind.padEnd(10)} ${DESCRIPTIONS[kind]}${counted ? `; server CPU = ${counted}` : ''}`);
  }
  if (servers.includes('cluster')) {
    lines.push("  cluster latency: senders on node 1; public p99 at receivers on node 2 (node 1's apart), private to node 2");
  }
  const counts = [...new Set(runs.map((r) => r.clients))];
  const comparisons = COMPARISONS.filter((c) => servers.includes(c.of) && servers.includes(c.to));
  const width = LABEL + (servers.length + comparisons.length) * COL;
  for (const clients of counts) {
    const find = (kind: ServerKind) => runs.find((r) => r.clients === clients && r.server === kind);
    lines.push('', `── ${clients.toLocaleString('en')} clients ${'─'.repeat(Math.max(0, width - 14 - String(clients).length))}`);
    lines.push(pad('', LABEL) + [...servers, ...comparisons.map((c) => c.name)].map((h) => lpad(h, COL)).join(''));
    for (const figure of [...FIGURES, ...CONDITIONS]) {
      const ratios = comparisons.map((c) => {
        const r = ratio(figure, find(c.of), find(c.to));
        return r === undefined || CONDITIONS.includes(figure) ? '' : `${r.toFixed(r < 10 ? 2 : 1)}${mark(figure, r)}`;
      });
      const cells = [...servers.map((k) => show(figure, find(k))), ...ratios];
      if (cells.every((c) => c === '—' || c === '')) continue;
      lines.push(pad(`${figure.label} (${figure.unit})`, LABEL) + cells.map((c) => lpad(c, COL)).join(''));
    }
    for (const kind of servers) lines.push(...warnings(find(kind)));
    const met = targets.filter((t) => t.clients === clients);
    for (const issue of [...new Set(met.map((t) => t.issue))]) {
      lines.push(`targets (issue ${issue}):`, ...met.filter((t) => t.issue === issue).map(formatTarget));
    }
  }
  if (counts.length > 1) lines.push('', ...growth(runs, counts, servers));
  for (const run of runs) {
    for (const [phase, profile] of Object.entries(run.profiles ?? {})) lines.push('', ...hotspots(run, phase, profile));
  }
  if (repeats) lines.push('', ...stabilityLines(repeats));
  if (slowDisk) lines.push('', ...diskLines(slowDisk));
  if (machine.stealPercent !== undefined) lines.push('', describeSteal(machine.stealPercent));
  lines.push('', 'ratio marks: ✓ at least as good as the server it is compared with, ✗ worse by more than 10 %.');
  return lines.join('\n');
}

function formatTarget(t: TargetResult): string {
  const digits = t.bound >= 100 ? 0 : 2;
  const sign = t.kind === 'max' ? '≤' : '≥';
  const how = `${t.met ? 'met' : 'missed'} by ${Math.abs(t.margin * 100).toFixed(0)} %`;
  const noisy = t.disturbed ? ' (measured while other processes competed: not conclusive)' : '';
  return `  ${t.met ? '✓' : '✗'} ${t.what}: ${t.value.toFixed(digits)} (target ${sign} ${t.bound}); ${how}${noisy}`;
}

/** Errors, and phases measured while other processes competed for the CPU. */
function warnings(run: RunResult | undefined): string[] {
  if (!run) return [];
  const lines = run.error ? [`  ! ${run.server}: ${run.error}`] : [];
  for (const phase of ['saturation', 'light', 'latency', 'private', 'storeAlone', 'store'] as const) {
    const other = run[phase]?.otherCpuPercent;
    if (other !== undefined && other >= DISTURBED_PERCENT) {
      lines.push(`  ! ${run.server} ${phase}: other processes used ${Math.round(other)}% of a core meanwhile; figures are pessimistic`);
    }
  }
  return lines;
}

function growth(runs: RunResult[], counts: number[], servers: ServerKind[]): string[] {
  const lines = [`── growth with clients ${'─'.repeat(Math.max(0, LABEL + counts.length * COL - 23))}`];
  lines.push(pad('', LABEL) + counts.map((n) => lpad(n.toLocaleString('en'), COL)).join(''));
  for (const figure of FIGURES) {
    servers.forEach((server, i) => {
      const label = i === 0 ? `${figure.label} (${figure.unit})` : '';
      const cells = counts.map((n) => lpad(show(figure, runs.find((r) => r.clients === n && r.server === server)), COL));
      lines.push(pad(label, LABEL - 10) + pad(server, 10) + cells.join(''));
    });
  }
  return lines;
}

function hotspots(run: RunResult, phase: string, p: ProfileSummary): string[] {
  const nodes = p.files.length > 1 ? `, ${p.files.length} nodes together` : '';
  const lines = [`── ${run.server} server CPU profile, ${phase}, ${run.clients.toLocaleString('en')} clients${nodes} ──`];
  lines.push('time by area: ' + Object.entries(p.byArea).slice(0, 8).map(([k, v]) => `${k} ${v}%`).join(', '));
  lines.push('hottest functions (self time):');
  for (const h of p.topSelf.slice(0, 10)) lines.push(`  ${lpad(h.percent.toFixed(1), 5)}%  ${h.name}  ${h.where}`);
  if (p.topProject.length > 0) lines.push('project functions (inclusive time):');
  for (const h of p.topProject.slice(0, 8)) lines.push(`  ${lpad(h.percent.toFixed(1), 5)}%  ${h.name}  ${h.where}`);
  lines.push(`  (profiles: ${p.files.join(', ')})`);
  return lines;
}

function show(figure: Figure, run: RunResult | undefined): string {
  const v = run && figure.value(run);
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en', { minimumFractionDigits: figure.digits, maximumFractionDigits: figure.digits });
}

function mark(figure: Figure, r: number): string {
  const v = verdict(figure, r);
  return v === 'good' ? ' ✓' : v === 'bad' ? ' ✗' : '  ';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n - 1) + ' ' : s + ' '.repeat(n - s.length);
}

function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** The slow-disk scenario: each disk's figures, the bound the disk sets, and the two targets. */
function diskLines(r: SlowDiskResult): string[] {
  const lines = [`── slower disk: ${r.clients.toLocaleString('en')} clients, public ${r.publicRate} msg/s, ${r.writers} writers with one private message in flight`];
  if (r.error) return [...lines, `  ${r.error}`];
  for (const run of r.runs) {
    const label = run.fsyncDelayMs === 0 ? 'normal disk' : `fsync +${run.fsyncDelayMs} ms`;
    const x = run.result;
    if (!x) {
      lines.push(`  ${label.padEnd(16)} ${run.error ?? 'not measured'}`);
      continue;
    }
    const p = x.publicLatencyMs;
    lines.push(
      `  ${label.padEnd(16)} public p50 ${p ? p.p50.toFixed(1) : '—'} ms, p99 ${p ? p.p99.toFixed(1) : '—'} ms; ` +
        `writes acked ${Math.round(x.writesPerSecond).toLocaleString('en')}/s (ack p99 ${x.ackMs?.p99.toFixed(1) ?? '—'} ms)`,
    );
  }
  lines.push(`  bound for one message in flight per writer: ${r.writers} / (2 × fsync) = ${Math.round(r.boundPerSecond).toLocaleString('en')}/s`);
  lines.push('targets (issue 18, slower disk):');
  for (const t of diskTargets(r)) {
    lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.value.toFixed(1)} ${t.kind === 'max' ? '≤' : '≥'} ${t.bound.toFixed(1)}`);
  }
  return lines;
}

/** Runs in a row at stability's limit: a figure whose largest value is more than this times its smallest varies. */
const STABLE_SPREAD = 1.5;

/** With --repeat: each figure's values over the runs, per server and client count, and max/min. */
function stabilityLines(repeats: RunResult[][]): string[] {
  const lines = [`── stability: ${repeats.length} runs in a row (largest ÷ smallest; over ${STABLE_SPREAD} marked ✗)`];
  const keys = [...new Map(repeats[0].map((r) => [`${r.server}@${r.clients}`, r])).values()];
  for (const { server, clients } of keys) {
    lines.push(`  ${server}, ${clients.toLocaleString('en')} clients`);
    for (const figure of FIGURES) {
      const values = repeats
        .map((runs) => runs.find((r) => r.server === server && r.clients === clients))
        .map((run) => (run ? figure.value(run) : undefined))
        .filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
      if (values.length < 2) continue;
      const spread = Math.max(...values) / Math.min(...values);
      const shown = values.map((v) => v.toLocaleString('en', { minimumFractionDigits: figure.digits, maximumFractionDigits: figure.digits })).join(', ');
      lines.push(`    ${pad(`${figure.label} (${figure.unit})`, LABEL - 4)}${shown}  ×${spread.toFixed(2)}${spread > STABLE_SPREAD ? ' ✗' : ''}`);
    }
  }
  return lines;
}
