// Matches the compiler writes inline instead of calling module.match(): each returns a JavaScript
// expression over `skb` / `m` (skb.meta) / `menv` (env.match) equal to the module's own match() for every
// packet — same tests in the same order, same hotdrop — and whether it can set hotdrop. Anything not listed
// here (or a form not handled, e.g. tcp --tcp-option) is called through the module.

import type { TableLayout } from '../engine-layout.js';
import type { Emitter } from './emit.js';
import type { TcpData, UdpData } from '../match/xt_tcpudp.js';
import { TcpInv, tcpMatch, udpMatch } from '../match/xt_tcpudp.js';
import { connmarkMatch, markMatch } from '../match/xt_mark.js';
import type { MarkMatchData } from '../match/xt_mark.js';
import { commentMatch } from '../match/xt_comment.js';
import { CtFlag, CtState, conntrackMatchModule, stateMatchModule } from '../match/xt_conntrack.js';
import type { ConntrackData } from '../match/xt_conntrack.js';
import { AddrtypeFlag, addrtypeMatch } from '../match/xt_addrtype.js';
import type { AddrtypeData } from '../match/xt_addrtype.js';
import { StatisticMode, statisticMatch, statisticRandom } from '../match/xt_statistic.js';
import type { StatisticData } from '../match/xt_statistic.js';
import { markTarget } from '../target/xt_MARK.js';
import type { MarkData } from '../target-data.js';

/** An inlined match: `expr` is true exactly when the module's match() would return true. */
export interface InlineMatch {
  expr: string;
  /** The expression can set env.match.hotdrop (the rule then checks it like a generic match). */
  mayHotdrop: boolean;
}

/** Port range test of tcp_mt/udp_mt: in range XOR inverted; '' when it always passes. */
function portTest(field: string, lo: number, hi: number, inv: boolean, E: Emitter): string {
  if (lo === 0 && hi === 0xffff && !inv) return '';
  const inRange = lo === hi ? `m.${field} === ${E.int(lo)}` : `(m.${field} >= ${E.int(lo)} && m.${field} <= ${E.int(hi)})`;
  if (!inv) return inRange;
  return lo === hi ? `m.${field} !== ${E.int(lo)}` : `!(m.${field} >= ${E.int(lo)} && m.${field} <= ${E.int(hi)})`;
}

/** xt_tcpudp.ts tcpMatch.match / udpMatch.match as an expression. */
function tcpudp(tcp: boolean, d: TcpData | UdpData, E: Emitter): InlineMatch | null {
  if (tcp && (d as TcpData).option !== 0) return null;
  const tests: string[] = [];
  const sp = portTest('sport', d.sptLo, d.sptHi, (d.inv & TcpInv.SRCPT) !== 0, E);
  if (sp !== '') tests.push(sp);
  const dp = portTest('dport', d.dptLo, d.dptHi, (d.inv & TcpInv.DSTPT) !== 0, E);
  if (dp !== '') tests.push(dp);
  if (tcp) {
    const t = d as TcpData;
    const inv = (t.inv & TcpInv.FLAGS) !== 0;
    if (t.flgMask !== 0 || t.flgCmp !== 0 || inv) {
      tests.push(`(m.tcpFlags & ${E.int(t.flgMask)}) ${inv ? '!==' : '==='} ${E.int(t.flgCmp)}`);
    }
  }
  const pass = tests.length === 0 ? 'true' : tests.join(' && ');
  // fragments never match (a TCP fragment at offset 8 bytes is hot-dropped); an unreadable header hotdrops
  const frag = tcp ? `(m.fragOffset === 8 ? (menv.hotdrop = 1, false) : false)` : 'false';
  const hlen = tcp ? 20 : 8;
  return {
    expr: `(m.fragOffset !== 0 ? ${frag} : (m.l4Off < 0 || m.l4Len < ${hlen}) ? (menv.hotdrop = 1, false) : (${pass}))`,
    mayHotdrop: true,
  };
}

/** xt_mark.ts: `((mark & mask) >>> 0) === value` XOR invert; connmark also needs a conntrack entry. */
function mark(conn: boolean, d: MarkMatchData, E: Emitter): InlineMatch {
  const cmp = `(skb.${conn ? 'ctMark' : 'mark'} & ${E.int(d.mask)}) ${d.invert ? '!==' : '==='} ${E.int(d.mark)}`;
  return { expr: conn ? `(skb.ct >= 0 && ${cmp})` : `(${cmp})`, mayHotdrop: false };
}

/**
 * xt_conntrack.ts packetStateBits + the state test, for rules testing the state only (conntrack --ctstate,
 * state --state): CTB(skb) / CTS(skb) are the prelude's copies of packetStateBits with and without NAT bits.
 */
function ctstate(d: ConntrackData, withNat: boolean, E: Emitter): InlineMatch | null {
  if (d.matchFlags !== CtFlag.STATE) return null;
  const natBits = withNat && (d.stateMask & (CtState.SNAT | CtState.DNAT)) !== 0;
  const inv = (d.invertFlags & CtFlag.STATE) !== 0;
  return { expr: `((${E.int(d.stateMask)} & ${natBits ? 'CTB' : 'CTS'}(skb)) ${inv ? '===' : '!=='} 0)`, mayHotdrop: false };
}

/** xt_addrtype.ts addrtype_mt_v1: source then destination type from the host's FIB. */
function addrtype(d: AddrtypeData, E: Emitter): InlineMatch {
  const dev = (d.flags & AddrtypeFlag.LIMIT_IFACE_IN) !== 0 ? 'skb.inIf' : (d.flags & AddrtypeFlag.LIMIT_IFACE_OUT) !== 0 ? 'skb.outIf' : '-1';
  const tests: string[] = [];
  if (d.source !== 0) {
    const inv = (d.flags & AddrtypeFlag.INVERT_SOURCE) !== 0;
    tests.push(`((${E.int(d.source)} & menv.host.addrType(m.saddr, ${dev})) ${inv ? '===' : '!=='} 0)`);
  }
  if (d.dest !== 0) {
    const inv = (d.flags & AddrtypeFlag.INVERT_DEST) !== 0;
    tests.push(`((${E.int(d.dest)} & menv.host.addrType(m.daddr, ${dev})) ${inv ? '===' : '!=='} 0)`);
  }
  return { expr: tests.length === 0 ? 'true' : `(${tests.join(' && ')})`, mayHotdrop: false };
}

/** Inline form of match `j` of layout `L` (flat match index), or null to call the module. */
export function inlineMatch(L: TableLayout, j: number, E: Emitter): InlineMatch | null {
  // inlined by module identity: the expressions mirror these very implementations
  const mod = L.matchModule[j]!;
  if (mod === tcpMatch) return tcpudp(true, L.matchData[j] as TcpData, E);
  if (mod === udpMatch) return tcpudp(false, L.matchData[j] as UdpData, E);
  if (mod === commentMatch) return { expr: 'true', mayHotdrop: false };
  if (mod === markMatch) return mark(false, L.matchData[j] as MarkMatchData, E);
  if (mod === connmarkMatch) return mark(true, L.matchData[j] as MarkMatchData, E);
  if (mod === conntrackMatchModule) return ctstate(L.matchData[j] as ConntrackData, true, E);
  if (mod === stateMatchModule) return ctstate(L.matchData[j] as ConntrackData, false, E);
  if (mod === addrtypeMatch) return addrtype(L.matchData[j] as AddrtypeData, E);
  if (mod === statisticMatch) {
    const d = L.matchData[j] as StatisticData;
    if (d.mode !== StatisticMode.RANDOM) return null; // nth keeps per-rule state: called through the module
    return { expr: `${E.obj(statisticRandom)}(${E.obj(d)}, menv, ${E.obj(L.matchState[j])})`, mayHotdrop: false };
  }
  return null;
}

/**
 * Inline statements of an extension target that always continues (the rule walk goes on), or null to call
 * the module. MARK: xt_MARK.ts mark_tg.
 */
export function inlineTarget(L: TableLayout, s: number, E: Emitter): string | null {
  if (L.targetModule[s] === markTarget) {
    const d = L.targetData[s] as MarkData;
    return `skb.mark = ((skb.mark & ${E.int(~d.mask)}) ^ ${E.int(d.value)}) >>> 0;`;
  }
  return null;
}
