// IPv4 policy-routing rules (`ip rule`): the rule record, the flow key a lookup is made with (struct flowi4),
// and whether a rule's selectors match a key — fib_rule_match (net/core/fib_rules.c: iif, oif, fwmark/mask,
// tun_id, l3mdev, uid range, `not`) and fib4_rule_match (net/ipv4/fib_rules.c: from, to, tos/dscp, ipproto, ports).

/** What a rule does when it matches (FR_ACT_*). */
export const RuleAction = {
  TO_TBL: 1,
  GOTO: 2,
  NOP: 3,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
} as const;

/** A device selector that names no interface of the snapshot (iif/oif "detached"): it never matches. */
export const DETACHED = -2;
/** No device selector / no device in the key (ifindex 0). */
export const ANY_DEV = -1;

export interface FibRule {
  pref: number;
  invert: boolean;
  src: number;
  srcMask: number;
  dst: number;
  dstMask: number;
  /** Interface ids, ANY_DEV, or DETACHED. */
  iif: number;
  oif: number;
  mark: number;
  markMask: number;
  /** `tos` selector (a TOS byte with only IPTOS_TOS bits), 0 for none. */
  tos: number;
  /** `dscp` selector (6 bits), -1 for none. */
  dscp: number;
  /** `ipproto`, 0 for any. */
  proto: number;
  sportLo: number;
  sportHi: number;
  dportLo: number;
  dportHi: number;
  uidLo: number;
  uidHi: number;
  tunId: number;
  l3mdev: boolean;
  action: number;
  /** The table a TO_TBL rule looks up (as ip-route.json names tables: "main", "local", "100" ...). */
  table: string;
  /** GOTO: index of the rule it jumps to (the first with that priority), -1 when unresolved. */
  gotoIndex: number;
  gotoPref: number;
  /** suppress_prefixlength, -1 when unset. */
  suppressPrefixlen: number;
  /** suppress_ifgroup, -1 when unset. */
  suppressIfgroup: number;
  origin: string;
}

/**
 * The flow a route lookup is made for (the fields of struct flowi4 rules can select on). One instance per
 * caller, filled before each lookup: a lookup allocates nothing.
 */
export class RouteKey {
  daddr = 0;
  /** 0 when the sender has not chosen a source (an unbound socket). */
  saddr = 0;
  /** Input device id (flowi4_iif; the loopback device for locally generated packets). */
  iif = ANY_DEV;
  /** Output device id when bound (flowi4_oif), else ANY_DEV. */
  oif = ANY_DEV;
  mark = 0;
  /** The IPv4 TOS byte (ECN bits included; the selectors mask what they compare). */
  tos = 0;
  proto = 0;
  sport = 0;
  dport = 0;
  /** The socket's uid (0: the kernel's own sockets and root). */
  uid = 0;

  /** Reset to a plain lookup of `daddr` with nothing else set. */
  plain(daddr: number): this {
    this.daddr = daddr;
    this.saddr = 0;
    this.iif = ANY_DEV;
    this.oif = ANY_DEV;
    this.mark = 0;
    this.tos = 0;
    this.proto = 0;
    this.sport = 0;
    this.dport = 0;
    this.uid = 0;
    return this;
  }
}

/** IPTOS_RT_MASK: the TOS bits a `tos` selector compares (fib4_rule_match masks the ECN bits away). */
const IPTOS_RT_MASK = 0x1c;

/** fib_rule_match + fib4_rule_match, with FIB_RULE_INVERT applied last. HOT. */
export function ruleMatches(r: FibRule, k: RouteKey): boolean {
  return selectorsMatch(r, k) !== r.invert;
}

function selectorsMatch(r: FibRule, k: RouteKey): boolean {
  if (r.iif !== ANY_DEV && r.iif !== k.iif) return false;
  if (r.oif !== ANY_DEV && r.oif !== k.oif) return false;
  if (((r.mark ^ k.mark) & r.markMask) !== 0) return false;
  // nothing in the model carries tunnel metadata or belongs to a VRF
  if (r.tunId !== 0 || r.l3mdev) return false;
  if (k.uid < r.uidLo || k.uid > r.uidHi) return false;
  if (((k.saddr ^ r.src) & r.srcMask) !== 0 || ((k.daddr ^ r.dst) & r.dstMask) !== 0) return false;
  if (r.dscp >= 0 && r.dscp !== k.tos >>> 2) return false;
  if (r.tos !== 0 && r.tos !== (k.tos & IPTOS_RT_MASK)) return false;
  if (r.proto !== 0 && r.proto !== k.proto) return false;
  if (r.sportLo >= 0 && (k.sport < r.sportLo || k.sport > r.sportHi)) return false;
  if (r.dportLo >= 0 && (k.dport < r.dportLo || k.dport > r.dportHi)) return false;
  return true;
}

/** The three rules of a host nobody configured (fib_default_rules_init): local, main, default. */
export function isDefaultRuleSet(rules: readonly FibRule[]): boolean {
  const want: [number, string][] = [
    [0, 'local'],
    [32766, 'main'],
    [32767, 'default'],
  ];
  if (rules.length !== want.length) return false;
  return rules.every((r, i) => r.pref === want[i]![0] && r.table === want[i]![1] && r.action === RuleAction.TO_TBL && isCatchAll(r));
}

function isCatchAll(r: FibRule): boolean {
  return (
    !r.invert &&
    r.srcMask === 0 &&
    r.dstMask === 0 &&
    r.iif === ANY_DEV &&
    r.oif === ANY_DEV &&
    r.markMask === 0 &&
    r.tos === 0 &&
    r.dscp < 0 &&
    r.proto === 0 &&
    r.sportLo < 0 &&
    r.dportLo < 0 &&
    r.uidLo === 0 &&
    r.uidHi === 0xffffffff &&
    r.tunId === 0 &&
    !r.l3mdev &&
    r.suppressPrefixlen < 0 &&
    r.suppressIfgroup < 0
  );
}
