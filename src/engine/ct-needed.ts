// Whether a rule set makes the kernel register conntrack (and defrag and NAT) hooks in the namespace
// (nf_ct_netns_get from the extensions' checkentry, reference 1.5): rules using connection state, marks
// or NAT do; a rule set of plain filters does not, and then nat chains are never walked.

import type { RuleSet } from '../netfilter/rules/ast.js';
import { TargetType } from '../netfilter/rules/ast.js';

const CT_MATCHES = new Set(['conntrack', 'state', 'connmark', 'connlimit', 'connbytes', 'connlabel', 'helper', 'cluster', 'ipvs']);
const CT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'CONNMARK', 'CONNSECMARK', 'CT', 'NOTRACK', 'SYNPROXY']);

export function needsConntrack(rs: RuleSet): boolean {
  for (const r of rs.rules) {
    for (const m of r.matches) if (CT_MATCHES.has(m.name)) return true;
    if (r.target.type === TargetType.EXTENSION && CT_TARGETS.has(r.target.name)) return true;
  }
  return false;
}

/** iptables-nft output says so in its header comment ("iptables-nft-save ... (nf_tables)"). */
export function isNftBackend(text: string): boolean {
  return /^#.*\(nf_tables\)/m.test(text);
}
