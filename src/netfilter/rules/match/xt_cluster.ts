// `-m cluster --cluster-total-nodes N {[!] --cluster-local-node K | [!] --cluster-local-nodemask M}
// --cluster-hash-seed S` (libxt_cluster.c cluster_parse/cluster_check/cluster_save; net/netfilter/xt_cluster.c
// xt_cluster_mt, xt_cluster_hash, xt_cluster_mt_checkentry): the node owning a connection is
// reciprocal_scale(jhash_1word(original source address, seed), N); the match mangles pkt_type on the way.

import type { MatchModule } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { NONE } from '../../skb.js';
import type { Skb } from '../../skb.js';
import { bswap32, jhash1Word, reciprocalScale } from '../../nat/jhash.js';

/** XT_CLUSTER_NODES_MAX. */
export const CLUSTER_NODES_MAX = 32;

/** PACKET_HOST and PACKET_MULTICAST (skb->pkt_type). */
const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;

/** struct xt_cluster_match_info (flags: XT_CLUSTER_F_INV as `invert`). */
export interface ClusterData {
  totalNodes: number;
  nodeMask: number;
  hashSeed: number;
  invert: boolean;
  /** xflags: bit i set once option i was given. */
  given: number;
}

const O_TOTAL = 0;
const O_NODE = 1;
const O_NODEMASK = 2;
const O_SEED = 3;
const F_TOTAL = 1 << O_TOTAL;
const F_NODE = 1 << O_NODE;
const F_NODEMASK = 1 << O_NODEMASK;
const F_SEED = 1 << O_SEED;

const NAMES = ['cluster-total-nodes', 'cluster-local-node', 'cluster-local-nodemask', 'cluster-hash-seed'];

/** xtopt_parse_int for XTTYPE_UINT32 with the entry's min/max. */
function u32(ctx: Parameters<MatchModule['parse']>[2], arg: string, id: number, min: number, max: number): number {
  const v = parseUint(arg, min, max);
  if (v < 0) badValue(ctx, `bad value for option "--${NAMES[id]!}", or out of range (${min}-${max}).`);
  return v;
}

const hex8 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/**
 * xt_cluster_hash for an IPv4 entry: jhash_1word of the ORIGINAL tuple's source address as the raw __be32 the
 * kernel loads (byte-swapped on a little-endian CPU such as x86), scaled into 0..N-1. HOT.
 */
export function clusterNode(origSrc: number, seed: number, totalNodes: number): number {
  return reciprocalScale(jhash1Word(bswap32(origSrc), seed), totalNodes);
}

/** HOT: xt_cluster_mt for IPv4 (the family the datapath replays). */
function clusterMatch(d: ClusterData, skb: Skb): boolean {
  // a packet to a unicast address that arrived as PACKET_MULTICAST becomes PACKET_HOST, matched or not
  if ((skb.meta.daddr & 0xf0000000) >>> 0 !== 0xe0000000 && skb.pktType === PACKET_MULTICAST) skb.pktType = PACKET_HOST;
  // nf_ct_get: no entry (INVALID) and the untracked template both give NULL, and the match fails
  if (skb.ct === NONE || skb.untracked !== 0) return false;
  // ct->master is always NULL: without helpers no connection is expected, so the entry hashes itself
  const node = clusterNode(skb.ctOrigSrc, d.hashSeed, d.totalNodes);
  return (((1 << node) & d.nodeMask) !== 0) !== d.invert;
}

export const clusterMatchModule: MatchModule<ClusterData, null> = {
  kind: 'match',
  name: 'cluster',
  family: 0,
  options: NAMES.map((name, i) => ({ name, args: 1 as const, invert: i === O_NODE || i === O_NODEMASK })),
  init: () => ({ totalNodes: 0, nodeMask: 0, hashSeed: 0, invert: false, given: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case O_TOTAL:
        d.totalNodes = u32(ctx, o.value, o.id, 1, CLUSTER_NODES_MAX);
        break;
      case O_NODE:
        d.nodeMask = (1 << (u32(ctx, o.value, o.id, 1, CLUSTER_NODES_MAX) - 1)) >>> 0;
        if (o.invert) d.invert = true;
        break;
      case O_NODEMASK:
        // the option entry's .max is XT_CLUSTER_NODES_MAX, so masks above 32 are refused (node 7's saved
        // mask 0x00000040 cannot be restored): libxt_cluster.c as it is
        d.nodeMask = u32(ctx, o.value, o.id, 1, CLUSTER_NODES_MAX);
        if (o.invert) d.invert = true;
        break;
      case O_SEED:
        d.hashSeed = u32(ctx, o.value, o.id, 0, 0xffffffff);
        break;
    }
    d.given |= 1 << o.id;
  },
  finish(d, ctx) {
    // cluster_check, then xtables_options_fcheck (mandatory options, then .excl)
    const limit = 2 ** d.totalNodes;
    if ((d.given & (F_TOTAL | F_NODE | F_SEED)) === (F_TOTAL | F_NODE | F_SEED)) {
      if (d.nodeMask >= limit) badValue(ctx, "`--cluster-local-node' must be <= `--cluster-total-nodes'");
    } else if ((d.given & (F_TOTAL | F_NODEMASK | F_SEED)) === (F_TOTAL | F_NODEMASK | F_SEED)) {
      if (d.nodeMask >= limit) badValue(ctx, "`--cluster-local-nodemask' too big for `--cluster-total-nodes'");
    } else if ((d.given & (F_NODE | F_NODEMASK)) === 0) {
      missing(ctx, "`--cluster-local-node' or`--cluster-local-nodemask' is missing");
    }
    if ((d.given & F_TOTAL) === 0) missing(ctx, 'option "--cluster-total-nodes" must be specified');
    if ((d.given & F_NODE) !== 0 && (d.given & F_NODEMASK) !== 0) {
      conflict(ctx, 'option "--cluster-local-node" cannot be used together with "--cluster-local-nodemask".');
    }
    if ((d.given & F_SEED) === 0) missing(ctx, 'option "--cluster-hash-seed" must be specified');
  },
  check(d, ctx) {
    // xt_cluster_mt_checkentry (iptables already keeps both within bounds)
    if (d.totalNodes > CLUSTER_NODES_MAX) ctx.error(IssueCode.BAD_VALUE, `cluster match: you have exceeded the maximum number of cluster nodes (${d.totalNodes} > ${CLUSTER_NODES_MAX})`);
    else if (d.nodeMask >= 2 ** d.totalNodes) ctx.error(IssueCode.BAD_VALUE, 'cluster match: this node mask cannot be higher than the total number of nodes');
  },
  // cluster_save: the local node always comes back as its mask
  print: (d) => `${d.invert ? '! ' : ''}--cluster-local-nodemask ${hex8(d.nodeMask)} --cluster-total-nodes ${d.totalNodes} --cluster-hash-seed ${hex8(d.hashSeed)}`,
  createState: noState,
  // HOT
  match: (d, skb) => clusterMatch(d, skb),
};
