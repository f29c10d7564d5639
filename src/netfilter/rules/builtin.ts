// The registry of every match and target module nfreplay models, by name and family.

import type { MatchModule, TargetModule } from './module.js';
import { ModuleRegistry } from './module.js';
import { tcpMatch, udpMatch } from './match/xt_tcpudp.js';
import { conntrackMatchModule, stateMatchModule } from './match/xt_conntrack.js';
import { addrtypeMatch } from './match/xt_addrtype.js';
import { markMatch, connmarkMatch } from './match/xt_mark.js';
import { commentMatch } from './match/xt_comment.js';
import { multiportMatch } from './match/xt_multiport.js';
import { icmpMatch } from './match/ipt_icmp.js';
import { icmp6Match } from './match/ip6t_icmp6.js';
import { iprangeMatch } from './match/xt_iprange.js';
import { lengthMatch } from './match/xt_length.js';
import { ttlMatch } from './match/ipt_ttl.js';
import { dscpMatch, tosMatch } from './match/xt_dscp.js';
import { pkttypeMatch } from './match/xt_pkttype.js';
import { rpfilterMatch } from './match/xt_rpfilter.js';
import { policyMatch } from './match/xt_policy.js';
import { ownerMatch } from './match/xt_owner.js';
import { sctpMatch } from './match/xt_sctp.js';
import { macMatch } from './match/xt_mac.js';
import { tcpmssMatch } from './match/xt_tcpmss.js';
import { physdevMatchModule } from './match/xt_physdev.js';
import { limitMatch } from './match/xt_limit.js';
import { statisticMatch } from './match/xt_statistic.js';
import { recentMatch } from './match/xt_recent.js';
import { hashlimitMatch } from './match/xt_hashlimit.js';
import { setMatch } from './match/xt_set.js';
import { espMatch } from './match/xt_esp.js';
import { ahMatch } from './match/ipt_ah.js';
import { ipcompMatch } from './match/xt_ipcomp.js';
import { cpuMatch } from './match/xt_cpu.js';
import { quotaMatch } from './match/xt_quota.js';
import { connbytesMatch } from './match/xt_connbytes.js';
import { connlimitMatch } from './match/xt_connlimit.js';
import { ecnMatch } from './match/xt_ecn.js';
import { stringMatch } from './match/xt_string.js';
import { u32Match } from './match/xt_u32.js';
import { timeMatch } from './match/xt_time.js';
import { dccpMatch } from './match/xt_dccp.js';
import { nfacctMatch } from './match/xt_nfacct.js';
import { helperMatch } from './match/xt_helper.js';
import { clusterMatchModule } from './match/xt_cluster.js';
import { devgroupMatchModule } from './match/xt_devgroup.js';
import { dnatTarget, snatTarget, masqueradeTarget, redirectTarget } from './target/xt_nat.js';
import { rejectTarget } from './target/ipt_REJECT.js';
import { logTarget, nflogTarget, traceTarget } from './target/xt_LOG.js';
import { markTarget, connmarkTarget } from './target/xt_MARK.js';
import { tcpmssTarget } from './target/xt_TCPMSS.js';
import { ttlTarget } from './target/ipt_TTL.js';
import { ctTarget, notrackTarget } from './target/xt_CT.js';
import { nfqueueTarget } from './target/xt_NFQUEUE.js';
import { checksumTarget } from './target/xt_CHECKSUM.js';
import { dscpTarget, tosTarget } from './target/xt_DSCP.js';
import { netmapTarget } from './target/xt_NETMAP.js';
import { setTarget } from './target/xt_SET.js';
import { tcpoptstripTarget } from './target/xt_TCPOPTSTRIP.js';
import { ecnTarget } from './target/ipt_ECN.js';
import { classifyTarget } from './target/xt_CLASSIFY.js';
import { auditTarget } from './target/xt_AUDIT.js';
import { ledTarget } from './target/xt_LED.js';
import { idletimerTarget } from './target/xt_IDLETIMER.js';
import { hmarkTarget } from './target/xt_HMARK.js';

/** Every built-in match module. */
export const BUILTIN_MATCHES: readonly MatchModule[] = [
  tcpMatch,
  udpMatch,
  conntrackMatchModule,
  stateMatchModule,
  addrtypeMatch,
  markMatch,
  connmarkMatch,
  commentMatch,
  multiportMatch,
  icmpMatch,
  icmp6Match,
  iprangeMatch,
  lengthMatch,
  ttlMatch,
  dscpMatch,
  tosMatch,
  pkttypeMatch,
  rpfilterMatch,
  policyMatch,
  ownerMatch,
  sctpMatch,
  macMatch,
  tcpmssMatch,
  physdevMatchModule,
  limitMatch,
  statisticMatch,
  recentMatch,
  hashlimitMatch,
  setMatch,
  espMatch,
  ahMatch,
  ipcompMatch,
  cpuMatch,
  quotaMatch,
  connbytesMatch,
  connlimitMatch,
  ecnMatch,
  stringMatch,
  u32Match,
  timeMatch,
  dccpMatch,
  nfacctMatch,
  helperMatch,
  clusterMatchModule,
  devgroupMatchModule,
] as readonly MatchModule[];

/** Every built-in target module. */
export const BUILTIN_TARGETS: readonly TargetModule[] = [
  dnatTarget,
  snatTarget,
  masqueradeTarget,
  redirectTarget,
  rejectTarget,
  logTarget,
  nflogTarget,
  traceTarget,
  markTarget,
  connmarkTarget,
  tcpmssTarget,
  ttlTarget,
  ctTarget,
  notrackTarget,
  nfqueueTarget,
  checksumTarget,
  dscpTarget,
  tosTarget,
  netmapTarget,
  setTarget,
  tcpoptstripTarget,
  ecnTarget,
  classifyTarget,
  auditTarget,
  ledTarget,
  idletimerTarget,
  hmarkTarget,
] as readonly TargetModule[];

let registry: ModuleRegistry | null = null;

/** The shared registry of built-in modules (made once). */
export function builtinRegistry(): ModuleRegistry {
  if (registry === null) {
    const r = new ModuleRegistry();
    for (const m of BUILTIN_MATCHES) r.addMatch(m);
    for (const t of BUILTIN_TARGETS) r.addTarget(t);
    registry = r;
  }
  return registry;
}
