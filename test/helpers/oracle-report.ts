// The agreement harness' verdicts: one failure record per disagreement with the kernel (which check, where,
// what differs), and the text a failing test prints. Shared by the packet, counter and conntrack comparisons.

/** Which comparison found a disagreement. */
export type CheckKind = 'files' | 'tx' | 'counters' | 'conntrack' | 'conntrack-stats' | 'nat-port';

/** One disagreement between the kernel's recording and our replay output. */
export interface AgreementFailure {
  check: CheckKind;
  /** Where: "eth0 TX packet #3", "filter FORWARD rule 2", "conntrack tcp 1.2.3.4:5 > ...". */
  where: string;
  /** What differs, with both values. */
  message: string;
  /** Kernel capture time of the packet concerned (tx failures), for ordering. */
  tsNs?: bigint;
}

/** The result of comparing one replay output directory with one kernel recording. */
export interface AgreementReport {
  scenario: string;
  failures: AgreementFailure[];
  /** What was compared, and what was deliberately not (with the reason). */
  notes: string[];
  /** Counts of compared items, so that a pass is visibly not a vacuous one. */
  compared: { interfaces: number; packets: number; rules: number; chains: number; conntrackEntries: number; natPorts: number };
}

export function newReport(scenario: string): AgreementReport {
  return { scenario, failures: [], notes: [], compared: { interfaces: 0, packets: 0, rules: 0, chains: 0, conntrackEntries: 0, natPorts: 0 } };
}

/** Packet failures in kernel time order first (the earliest disagreement leads), then the others in check order. */
export function sortFailures(fs: AgreementFailure[]): AgreementFailure[] {
  const order: CheckKind[] = ['files', 'tx', 'nat-port', 'conntrack', 'counters', 'conntrack-stats'];
  return [...fs].sort((a, b) => {
    const ka = order.indexOf(a.check);
    const kb = order.indexOf(b.check);
    if (ka !== kb) return ka - kb;
    if (a.tsNs !== undefined && b.tsNs !== undefined && a.tsNs !== b.tsNs) return a.tsNs < b.tsNs ? -1 : 1;
    return 0;
  });
}

/** Human-readable report; `limit` failures at most (the rest are counted). */
export function formatReport(r: AgreementReport, limit = 25): string {
  const c = r.compared;
  const lines = [
    `${r.scenario}: ${r.failures.length === 0 ? 'agrees with the kernel' : `${r.failures.length} disagreement(s) with the kernel`}`,
    `  compared: ${c.packets} packets on ${c.interfaces} interfaces, ${c.rules} rules + ${c.chains} chain policies, ${c.conntrackEntries} conntrack entries, ${c.natPorts} random NAT ports`,
  ];
  const fs = sortFailures(r.failures);
  for (const f of fs.slice(0, limit)) lines.push(`  [${f.check}] ${f.where}: ${f.message}`);
  if (fs.length > limit) lines.push(`  ... and ${fs.length - limit} more`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

/** Seconds since `base` with microsecond precision, for messages. */
export function relTime(tsNs: bigint, base: bigint): string {
  const d = Number(tsNs - base) / 1e9;
  return `t=${d >= 0 ? '+' : ''}${d.toFixed(6)}s`;
}
