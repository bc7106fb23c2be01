/** Latency samples and their summary. Samples are kept (up to a cap) and sorted once at the end. */

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Keeps at most `cap` values; past the cap, a uniform reservoir sample of everything pushed. */
export class Samples {
  private values: number[] = [];
  private seen = 0;

  constructor(private readonly cap = 500_000) {}

  push(value: number): void {
    this.seen++;
    if (this.values.length < this.cap) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(Math.random() * this.seen);
    if (slot < this.cap) this.values[slot] = value;
  }

  get count(): number {
    return this.seen;
  }

  /** Forgets every value: the next summary covers what is pushed from now on. */
  reset(): void {
    this.values = [];
    this.seen = 0;
  }

  summary(): Summary | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = Float64Array.from(this.values).sort();
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      count: this.seen,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted[sorted.length - 1],
      mean: sum / sorted.length,
    };
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** A send time embedded in a message text, read back by receivers without parsing the JSON frame. */
export const STAMP = 'bench:';
const STAMP_BYTES = Buffer.from(STAMP);

/** Microseconds on the monotonic clock shared by senders and receivers (one process). */
export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

export function stampedText(sequence: number): string {
  return `${STAMP}${nowMicros()} #${sequence}`;
}

/** The send time stamped in `frame`, or -1 when there is none. */
export function readStamp(frame: Buffer): number {
  const at = frame.indexOf(STAMP_BYTES);
  if (at < 0) return -1;
  let value = 0;
  for (let i = at + STAMP_BYTES.length; i < frame.length; i++) {
    const digit = frame[i] - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}
