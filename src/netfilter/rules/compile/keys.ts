// The index key of a rule, when it has one: the exact (destination address,) protocol and destination port
// every packet it matches must carry, read from the rule's ip_packet_match part and its tcp/udp match
// (xt_tcpudp: dport range lo == hi, not inverted, no --tcp-option). Every other match of an indexable rule
// must be free of side effects and unable to hotdrop on the packets an index serves (plan.ts safeL4), so
// that skipping a non-candidate rule changes nothing.

import type { TableLayout } from '../engine-layout.js';
import { Inv } from '../engine-layout.js';
import { KeyShape } from './run-index.js';
import type { RuleKey } from './run-index.js';
import type { TcpData, UdpData } from '../match/xt_tcpudp.js';
import { TcpInv, tcpMatch, udpMatch } from '../match/xt_tcpudp.js';
import type { MatchModule } from '../module.js';
import { commentMatch } from '../match/xt_comment.js';
import { connmarkMatch, markMatch } from '../match/xt_mark.js';
import { conntrackMatchModule, stateMatchModule } from '../match/xt_conntrack.js';
import { addrtypeMatch } from '../match/xt_addrtype.js';

/**
 * Matches that neither change state nor hotdrop on an index-servable packet, checked module by module:
 * comment (always true), tcp/udp (without --tcp-option), mark/connmark, conntrack/state, addrtype (a FIB
 * lookup). Statistic, limit, recent, nth... keep state and are never skipped.
 */
const PURE_MATCHES: ReadonlySet<MatchModule> = new Set<MatchModule>([
  commentMatch,
  tcpMatch,
  udpMatch,
  markMatch,
  connmarkMatch,
  conntrackMatchModule,
  stateMatchModule,
  addrtypeMatch,
] as MatchModule[]);

/** The key of rule slot `s`, or null when the rule is not indexable. */
export function ruleKey(L: TableLayout, s: number): RuleKey | null {
  const proto = L.proto[s]!;
  if ((proto !== 6 && proto !== 17) || (L.invFlags[s]! & Inv.PROTO) !== 0) return null;
  let dport = -1;
  for (let j = L.matchStart[s]!; j < L.matchStart[s + 1]!; j++) {
    const mod = L.matchModule[j]!;
    if (!PURE_MATCHES.has(mod)) return null;
    if (mod === tcpMatch || mod === udpMatch) {
      if ((mod === tcpMatch ? 6 : 17) !== proto) return null;
      const d = L.matchData[j] as TcpData | UdpData;
      if (mod === tcpMatch && (d as TcpData).option !== 0) return null; // option walk may hotdrop
      if (dport < 0 && d.dptLo === d.dptHi && (d.inv & TcpInv.DSTPT) === 0) dport = d.dptLo;
    }
  }
  if (dport < 0) return null;
  const exactDst = L.dmsk[s]! === 0xffffffff && (L.invFlags[s]! & Inv.DSTIP) === 0;
  return exactDst
    ? { shape: KeyShape.DADDR_PROTO_DPORT, daddr: L.dst[s]!, proto, dport }
    : { shape: KeyShape.PROTO_DPORT, daddr: 0, proto, dport };
}

/**
 * Is the key of indexable slot `s` its whole condition? True when the rule tests nothing beyond its exact
 * (destination,) protocol and destination port — no source, interface or fragment test, matches only comment
 * and one tcp/udp match with no other option — so every index-served packet with that key matches it.
 */
export function keyIsWholeCondition(L: TableLayout, s: number): boolean {
  const inv = L.invFlags[s]!;
  if (inv !== 0 || L.smsk[s] !== 0 || L.inTest[s] !== 0 || L.outTest[s] !== 0 || L.frag[s] !== 0) return false;
  if (L.dmsk[s] !== 0 && L.dmsk[s] !== 0xffffffff) return false;
  let ports = 0;
  for (let j = L.matchStart[s]!; j < L.matchStart[s + 1]!; j++) {
    const mod = L.matchModule[j]!;
    if (mod === commentMatch) continue;
    if (mod !== tcpMatch && mod !== udpMatch) return false;
    const d = L.matchData[j] as TcpData | UdpData;
    if (d.inv !== 0 || d.sptLo !== 0 || d.sptHi !== 0xffff || d.dptLo !== d.dptHi) return false;
    if (mod === tcpMatch && ((d as TcpData).option !== 0 || (d as TcpData).flgMask !== 0 || (d as TcpData).flgCmp !== 0)) return false;
    ports++;
  }
  return ports === 1;
}
