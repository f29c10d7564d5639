// ip_forward: a routed packet that is not for this host — PACKET_HOST only, TTL exhausted → ICMP time
// exceeded, DF and too big for the route → ICMP frag-needed (both before FORWARD, so FORWARD never sees
// them), TTL decrement with the incremental checksum, an ICMP host redirect when the route said so,
// NF_INET_FORWARD, then ip_output.

import { Verdict } from '../skb.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { PktType } from './pkt.js';
import { icmpSend } from './icmp.js';
import { ipOutput, verdictEnd } from './ip-output.js';
import { decreaseTtl } from '../mangle/ttl.js';

const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_REDIRECT = 5;
const ICMP_REDIR_HOST = 1;

/** ip_exceeds_mtu. */
function exceedsMtu(p: Pkt, mtu: number): boolean {
  const m = p.meta;
  if (m.ipTotalLen <= mtu) return false;
  if (m.dontFrag === 0) return false;
  if (p.fragMaxSize > mtu) return true;
  // skb_gso_validate_network_len: the segments are taken to fit (see Pkt.gso)
  if (p.gso === 1) return false;
  return true;
}

/** Forward `p`, which arrived on `inDev`. Takes ownership. */
export function ipForward(dp: Datapath, p: Pkt, inDev: number): void {
  const m = p.meta;
  if (p.pktType !== PktType.HOST) {
    dp.kernelDrop(p, 'otherhost', 'not addressed to this host at the link layer', -1);
    return dp.dropPacket(p, 'otherhost', '');
  }
  if (m.ipTtl <= 1) {
    icmpSend(dp, p, ICMP_TIME_EXCEEDED, 0, 0);
    dp.kernelDrop(p, 'ttl', `TTL ${m.ipTtl} exhausted in forwarding (ICMP time exceeded sent)`, -1);
    return dp.dropPacket(p, 'ttl', '');
  }
  const mtu = p.rtMtu;
  if (exceedsMtu(p, mtu)) {
    icmpSend(dp, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
    dp.kernelDrop(p, 'frag_needed', `${m.ipTotalLen}-byte packet with DF set exceeds the route MTU ${mtu} (ICMP frag-needed sent)`, -1);
    return dp.dropPacket(p, 'frag_needed', '');
  }
  decreaseTtl(m);
  // ip_rt_send_redirect: before FORWARD (whose verdict does not matter), quoting the decremented TTL
  if (p.rtRedirect === 1 && dp.icmpLimit.redirectAllow(m.saddr, p.nowNs)) {
    icmpSend(dp, p, ICMP_REDIRECT, ICMP_REDIR_HOST, p.rtNexthop);
  }
  const v = dp.forward(p, inDev, p.rtDev);
  if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  dp.stats.forwarded++;
  ipOutput(dp, p, inDev);
}
