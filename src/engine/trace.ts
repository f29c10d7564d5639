// --trace output: every rule-walk step of the traced packet (and of the packets it causes), with the
// interfaces, conntrack state and mark at that step, and a one-line description of a packet.

import type { TraceSink } from '../netfilter/rules/trace.js';
import type { Interner } from '../util/intern.js';
import { L3 } from '../decode/meta.js';
import type { Pkt } from '../netfilter/path/pkt.js';
import { flowText } from './outputs.js';

const HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
const CTINFO = ['ESTABLISHED', 'RELATED', 'NEW', 'ESTABLISHED_REPLY', 'RELATED_REPLY'];
const KINDS = ['rule', 'return', 'policy'];

/** A TraceSink printing `TRACE: table:chain:kind:N  [HOOK in=.. out=.. ct=.. mark=..]` lines. */
export function tracePrinter(out: (line: string) => void, names: Interner): TraceSink {
  const name = (id: number): string => (id < names.size ? names.name(id) : String(id));
  return {
    step(table, chain, kind, num, _ruleId, hook, skb): void {
      const ct = skb.untracked === 1 ? 'UNTRACKED' : skb.ct < 0 ? 'INVALID' : (CTINFO[skb.ctInfo] ?? '?');
      const iface = `${skb.inIf >= 0 ? ` in=${name(skb.inIf)}` : ''}${skb.outIf >= 0 ? ` out=${name(skb.outIf)}` : ''}`;
      out(`  TRACE: ${table}:${chain}:${KINDS[kind]}:${num}  [${HOOKS[hook] ?? hook}${iface} ct=${ct} mark=0x${(skb.mark >>> 0).toString(16)}]`);
    },
  };
}

/** One line: protocol, addresses, ports, TCP flags and numbers, length, TTL, IP ID. */
export function describePacket(p: Pkt): string {
  const m = p.meta;
  if (m.l3 !== L3.IPV4) return `non-IPv4 frame (EtherType 0x${m.etherType.toString(16)})`;
  let s = flowText(p);
  if (m.ipProto === 6 && m.l4Off >= 0) {
    const f = m.tcpFlags;
    const flags = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'C'].filter((_, i) => (f & (1 << i)) !== 0).join('');
    s += ` [${flags}] seq ${m.tcpSeq}${(f & 0x10) !== 0 ? ` ack ${m.tcpAck}` : ''}`;
  }
  return `${s}, ${m.ipTotalLen} bytes, ttl ${m.ipTtl}, id ${m.ipId}`;
}
