// __nf_conntrack_confirm and clash handling (nf_ct_resolve_clash, __nf_ct_resolve_clash,
// nf_ct_resolve_clash_harder, nf_ct_acct_merge) of nf_conntrack_core.c. Confirmation at the packet's finish
// time f sees every entry whose insertion is visible at f, so that of two packets on different vCPUs that
// picked the same tuple the later one loses exactly as in the kernel.

import { CtInfo, CtStatus, NONE, Verdict } from '../skb.js';
import type { Skb } from '../skb.js';
import { CtStat } from './api.js';
import type { Conntrack } from './conntrack.js';
import {
  F_BYTES_O,
  F_STRIDE,
  F_VISIBLE_NS,
  R_OSRC,
  R_PROTO,
  R_RSRC,
  R_STATE,
  R_STRIDE,
  R_ZONE,
  RecState,
  V_STATUS,
  V_STRIDE,
  V_WRITER,
  VF_DEADLINE,
  VF_STRIDE,
  VF_VISIBLE,
} from './layout.js';
import { linkMatches, nextLink } from './lookup.js';
import { allowClash } from './proto-udp.js';
import type { Tuple } from './tuple.js';
import { zoneIdFor } from './tuple.js';

/** Chains shorter than this never need the random limit (MIN_CHAINLEN). */
const MIN_CHAINLEN = 50;

const CHAIN_TOO_LONG = -1;

/**
 * Walk the chain of `tu` as the confirmer (v, f) sees it: the first matching live entry's link, 0, or
 * CHAIN_TOO_LONG when more nodes than the (lazily drawn) limit were passed without a match. HOT.
 */
function walk(c: Conntrack, tu: Tuple, dir: number, v: number, f: number, limit: { value: number }): number {
  const t = c.table;
  const R = c.R;
  let link = Atomics.load(t.heads, t.bucketOf(tu.src, tu.dst, tu.sport, tu.dport, tu.proto, zoneIdFor(tu.zone, dir)));
  let chainlen = 0;
  while (link !== 0) {
    const next = nextLink(R, link);
    const idx = (link - 1) >> 1;
    if (c.ver.visible(idx, v, f) && !c.ver.expired(c.ver.view(idx, v, f), f) && linkMatches(R, link, tu, tu.zone)) return link;
    if (chainlen >= MIN_CHAINLEN && limit.value < 0) limit.value = t.drawChainLimit();
    if (limit.value >= 0 && chainlen > limit.value) return CHAIN_TOO_LONG;
    chainlen++;
    link = next;
  }
  return 0;
}

/** Reused holder for the lazily drawn chain limit (no allocation per packet). */
const LIMIT = { value: -1 };

/** nf_ct_match / nf_ct_match_reverse: same flow in both directions, or its mirror image. HOT. */
function canMerge(R: Int32Array, winner: number, loser: number): boolean {
  const w = winner * R_STRIDE;
  const l = loser * R_STRIDE;
  if (R[w + R_PROTO] !== R[l + R_PROTO]) return false;
  // nf_ct_zone_equal in both directions
  for (let d = 0; d < 2; d++) if (zoneIdFor(R[w + R_ZONE]!, d) !== zoneIdFor(R[l + R_ZONE]!, d)) return false;
  let same = true;
  let mirror = true;
  for (let i = 0; i < 4; i++) {
    if (R[w + R_OSRC + i] !== R[l + R_OSRC + i] || R[w + R_RSRC + i] !== R[l + R_RSRC + i]) same = false;
    if (R[w + R_OSRC + i] !== R[l + R_RSRC + i] || R[w + R_RSRC + i] !== R[l + R_OSRC + i]) mirror = false;
  }
  return same || mirror;
}

/** __nf_ct_resolve_clash merge: the skb moves to the winner, which also gets the loser's packet counted. */
function merge(c: Conntrack, skb: Skb, winner: number): number {
  const loser = skb.ct;
  const dir = skb.ctInfo >= CtInfo.ESTABLISHED_REPLY ? 1 : 0;
  // nf_ct_acct_merge: one packet with the loser's byte count for this direction
  c.acct(winner, dir, 1, c.F[loser * F_STRIDE + F_BYTES_O + dir * 2]!);
  c.life.unlinkAndFree(loser, true);
  skb.ct = winner;
  c.stats.inc(skb.vcpu, CtStat.CLASH_RESOLVE);
  c.syncSkb(skb);
  return Verdict.ACCEPT;
}

/** The packet dies at confirm: insert_failed (and drop when `countDrop`), the loser entry is freed. */
function fail(c: Conntrack, skb: Skb, countDrop: boolean): number {
  c.stats.inc(skb.vcpu, CtStat.INSERT_FAILED);
  if (countDrop) c.stats.inc(skb.vcpu, CtStat.DROP);
  c.life.unlinkAndFree(skb.ct, true);
  skb.ct = NONE;
  skb.ctInfo = 0;
  c.syncSkb(skb);
  return Verdict.DROP;
}

/** Mark the loser confirmed and visible from f (writer = its vCPU). */
function markConfirmed(c: Conntrack, ct: number, v: number, f: number): void {
  c.R[ct * R_STRIDE + R_STATE] = RecState.CONFIRMED;
  c.V[ct * V_STRIDE + V_STATUS] = c.V[ct * V_STRIDE + V_STATUS]! | CtStatus.CONFIRMED;
  c.V[ct * V_STRIDE + V_WRITER] = v;
  c.VF[ct * VF_STRIDE + VF_VISIBLE] = f;
  c.F[ct * F_STRIDE + F_VISIBLE_NS] = f;
}

/** nf_ct_resolve_clash with `link` the entry already in the table. */
function resolveClash(c: Conntrack, skb: Skb, link: number, f: number): number {
  const R = c.R;
  const winner = (link - 1) >> 1;
  const loser = skb.ct;
  const v = skb.vcpu;
  if (!allowClash(R[winner * R_STRIDE + R_PROTO]!)) return fail(c, skb, true);
  if (canMerge(R, winner, loser)) return merge(c, skb, winner);

  // nf_ct_resolve_clash_harder: the reply direction must not clash, unless both tuples are identical
  const reply = c.getTuple(loser, 1, c.tuple2);
  LIMIT.value = 1 << 30; // the kernel walks this chain without a length limit
  const h = walk(c, reply, 1, v, f, LIMIT);
  if (h > 0) {
    const w2 = (h - 1) >> 1;
    return canMerge(R, w2, loser) ? merge(c, skb, w2) : fail(c, skb, true);
  }
  // insert the loser for its REPLY direction only; it goes away in a second and is never ASSURED
  c.VF[loser * VF_STRIDE + VF_DEADLINE] = f + 1e9;
  c.V[loser * V_STRIDE + V_STATUS] = c.V[loser * V_STRIDE + V_STATUS]! | CtStatus.FIXED_TIMEOUT | CtStatus.NAT_CLASH;
  markConfirmed(c, loser, v, f);
  c.table.linkInsert(loser, 1);
  c.stats.inc(v, CtStat.CLASH_RESOLVE);
  c.syncSkb(skb);
  return Verdict.ACCEPT;
}

/**
 * nf_conntrack_confirm / __nf_conntrack_confirm for `skb` finishing at `f`. HOT.
 */
export function confirmSkb(c: Conntrack, skb: Skb, f: number): number {
  const ct = skb.ct;
  if (ct === NONE || c.isConfirmed(ct)) return Verdict.ACCEPT;
  // REJECT-generated packets are attached in the other direction; only the original direction confirms
  if (skb.ctInfo >= CtInfo.ESTABLISHED_REPLY) return Verdict.ACCEPT;
  const v = skb.vcpu;
  if (c.R[ct * R_STRIDE + R_STATE] === RecState.DYING) return fail(c, skb, false);

  LIMIT.value = -1;
  const orig = c.getTuple(ct, 0, c.tuple);
  let h = walk(c, orig, 0, v, f, LIMIT);
  if (h === 0) {
    const reply = c.getTuple(ct, 1, c.tuple2);
    h = walk(c, reply, 1, v, f, LIMIT);
  }
  if (h === CHAIN_TOO_LONG) {
    c.stats.inc(v, CtStat.CHAINTOOLONG);
    return fail(c, skb, false);
  }
  if (h > 0) return resolveClash(c, skb, h, f);

  // the timeout is relative to the confirmation time
  c.VF[ct * VF_STRIDE + VF_DEADLINE] = c.VF[ct * VF_STRIDE + VF_DEADLINE]! + f;
  markConfirmed(c, ct, v, f);
  c.table.linkInsert(ct, 0);
  c.table.linkInsert(ct, 1);
  c.syncSkb(skb);
  return Verdict.ACCEPT;
}
