// Capture timestamps in the inspect report: exact (whole seconds + nanoseconds, as the capture readers
// deliver them), printed as "sec.nnnnnnnnn" epoch strings and ISO 8601 UTC with nanoseconds, and exact
// differences. No floating point until the final seconds-as-a-number convenience value.

/** A point in capture time. */
export interface InspectTime {
  sec: number;
  nsec: number;
  /** "1258544215.037210000" */
  epoch: string;
  /** "2009-11-18T11:36:55.037210000Z" */
  iso: string;
}

export function formatTime(sec: number, nsec: number): InspectTime {
  const ns = String(nsec).padStart(9, '0');
  const ms = sec * 1000;
  let iso: string;
  if (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15) iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${ns}Z`);
  else iso = `${sec}.${ns}`;
  return { sec, nsec, epoch: `${sec}.${ns}`, iso };
}

/** Order of (sec, nsec) against a time: -1, 0, 1. */
export function compareTime(sec: number, nsec: number, t: InspectTime): number {
  if (sec !== t.sec) return sec < t.sec ? -1 : 1;
  if (nsec !== t.nsec) return nsec < t.nsec ? -1 : 1;
  return 0;
}

/** end - start exactly, as "s.nnnnnnnnn" and as a number of seconds ("0.000000000" without both). */
export function timeDiff(start: InspectTime | null, end: InspectTime | null): { text: string; seconds: number } {
  if (start === null || end === null) return { text: '0.000000000', seconds: 0 };
  const ns = BigInt(end.sec - start.sec) * 1_000_000_000n + BigInt(end.nsec - start.nsec);
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const text = `${neg ? '-' : ''}${a / 1_000_000_000n}.${String(a % 1_000_000_000n).padStart(9, '0')}`;
  return { text, seconds: Number(ns) / 1e9 };
}
