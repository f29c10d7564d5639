// Rule options nfreplay parses and prints but whose effect the replay does not model: each becomes a
// warning in the replay report, naming the rule's line, so a difference from the kernel is never silent.

import type { RuleSet } from './ast.js';
import { TargetType } from './ast.js';
import type { CtData } from './target-data.js';
import { TargetKind } from './target-data.js';

/** One warning per rule whose target has an effect the replay leaves out. */
export function unmodelledWarnings(rs: RuleSet, file: string): string[] {
  const out: string[] = [];
  for (const r of rs.rules) {
    const t = r.target;
    if (t.type !== TargetType.EXTENSION) continue;
    const d = t.data as { kind?: number };
    if (d.kind !== TargetKind.CT) continue;
    const ct = d as CtData;
    const what: string[] = [];
    if (ct.helper !== '') what.push(`the ${ct.helper} helper (no expectations are created)`);
    if (ct.timeout !== '') what.push(`the timeout policy ${ct.timeout} (the sysctl timeouts apply)`);
    if (what.length > 0) out.push(`${file}:${r.line}: -t ${r.table} -A ${r.chain} rule ${r.num}: CT ${what.join(', ')} not modelled`);
  }
  return out;
}
