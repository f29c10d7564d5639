// The IPv4 FIB: routing tables and the policy-routing rules that choose among them. A host with only the
// default rules keeps local merged into main and looks up main, then default (fib_lookup's fast path while
// !fib_has_custom_rules); any other rule set walks the rules in priority order (__fib_lookup, fib_rules_lookup).

import type { HostRoute } from './types.js';
import { RouteType } from './types.js';
import { AddrType } from '../netfilter/skb.js';
import { FibTable } from './fib-table.js';
import type { FibRule } from './fib-rules.js';
import { isDefaultRuleSet, RouteKey, RuleAction, ruleMatches } from './fib-rules.js';

/** What the FIB answers for a rule action that refuses the lookup (a rule, not a route, decided). */
function refusal(type: number, origin: string): HostRoute {
  return { table: '', type, dst: 0, prefixLen: 0, gateway: 0, dev: -1, prefsrc: 0, scope: 0, mtu: 0, metric: 0, protocol: 'rule', origin };
}

export class Fib {
  readonly routes: readonly HostRoute[];
  /** The rules, sorted by priority (the default three when the snapshot has none). */
  readonly rules: readonly FibRule[];
  /** net->ipv4.fib_has_custom_rules: local and main are separate tables and every lookup walks the rules. */
  readonly customRules: boolean;
  /**
   * net->ipv4.fib_has_custom_local_routes: a local route someone added (inet_rtm_newroute), not one the
   * kernel made for an address. fib_validate_source then checks sources against the FIB, not the addresses.
   */
  readonly customLocalRoutes: boolean;
  private readonly tables = new Map<string, FibTable>();
  /** Main with local merged in (default rules), or the local table alone (custom rules). */
  private readonly localView: FibTable;
  private readonly main: FibTable;
  private readonly dflt: FibTable;
  private readonly plainKey = new RouteKey();
  /** The rule that decided the last route() (an index into rules), or -1 (default rules, or none matched). */
  lastRule = -1;
  private readonly refusals: HostRoute[] = [];

  constructor(routes: readonly HostRoute[], rules: readonly FibRule[] | null = null) {
    this.routes = routes;
    this.rules = rules ?? [];
    this.customRules = rules !== null && !isDefaultRuleSet(rules);
    this.customLocalRoutes = routes.some((r) => r.type === RouteType.LOCAL && r.protocol !== 'kernel');
    const byTable = new Map<string, HostRoute[]>();
    for (const r of routes) {
      // fib_new_table: without custom rules the local table is an alias of main's trie
      const t = !this.customRules && r.table === 'local' ? 'main' : r.table;
      let list = byTable.get(t);
      if (list === undefined) byTable.set(t, (list = []));
      list.push(r);
    }
    for (const [name, list] of byTable) this.tables.set(name, new FibTable(list));
    this.main = this.table('main');
    this.dflt = this.table('default');
    this.localView = this.customRules ? this.table('local') : this.main;
    for (const r of this.rules) this.refusals.push(refusal(r.action === RuleAction.PROHIBIT ? RouteType.PROHIBIT : RouteType.BLACKHOLE, r.origin));
  }

  private table(name: string): FibTable {
    let t = this.tables.get(name);
    if (t === undefined) this.tables.set(name, (t = new FibTable([])));
    return t;
  }

  /**
   * fib_lookup for flow `k`: the route, a BLACKHOLE or PROHIBIT stand-in when a rule refuses the lookup,
   * or null (ENETUNREACH: no rule found a route, or an `unreachable` rule). With `k.oif` set, only routes
   * through that device count. HOT.
   */
  route(k: RouteKey): HostRoute | null {
    this.lastRule = -1;
    if (!this.customRules) {
      const r = tableLookup(this.main, k);
      return r !== null && r.type !== RouteType.THROW ? r : afterThrow(tableLookup(this.dflt, k));
    }
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!ruleMatches(rule, k)) continue;
      // FR_ACT_GOTO: the walk goes on at the target rule (gotos only jump forward); an unresolved one falls through
      if (rule.action === RuleAction.GOTO) {
        if (rule.gotoIndex >= 0) i = rule.gotoIndex - 1;
        continue;
      }
      if (rule.action === RuleAction.NOP) continue;
      this.lastRule = i;
      if (rule.action !== RuleAction.TO_TBL) return rule.action === RuleAction.UNREACHABLE ? null : this.refusals[i]!;
      const t = this.tables.get(rule.table);
      if (t === undefined) continue;
      const r = tableLookup(t, k);
      // -EAGAIN: nothing in this table, or a throw route
      if (r === null || r.type === RouteType.THROW) continue;
      // fib4_rule_suppress (a route, not an error, was found); every device is in group 0 ("default"): the
      // snapshot does not carry device groups
      if (isRoute(r) && (r.prefixLen <= rule.suppressPrefixlen || (rule.suppressIfgroup === 0 && r.dev >= 0))) continue;
      return r;
    }
    this.lastRule = -1;
    return null;
  }

  /** The route for `daddr` with nothing else in the key (no mark, no input device, no source). HOT. */
  lookup(daddr: number): HostRoute | null {
    return this.route(this.plainKey.plain(daddr));
  }

  /**
   * AddrType bit of `addr` (xt_addrtype, inet_dev_addr_type: the local table only): zeronet and limited
   * broadcast are BROADCAST, 224/4 MULTICAST, otherwise the type of the matching route — UNICAST when none
   * matches or when `limitIf` names a device other than the route's. HOT.
   */
  addrType(addr: number, limitIf: number): number {
    if ((addr & 0xff000000) === 0 || addr === 0xffffffff) return AddrType.BROADCAST;
    if ((addr & 0xf0000000) >>> 0 === 0xe0000000) return AddrType.MULTICAST;
    const r = this.localView.lookup(addr);
    if (r === null || r.type === RouteType.THROW) return AddrType.UNICAST;
    if (limitIf >= 0 && r.dev !== limitIf) return AddrType.UNICAST;
    return 1 << r.type;
  }

  /** Is `addr` one of this host's addresses (a local route in the local table: inet_addr_type)? HOT. */
  isLocal(addr: number): boolean {
    const r = this.localView.lookup(addr);
    return r !== null && r.type === RouteType.LOCAL;
  }
}

function tableLookup(t: FibTable, k: RouteKey): HostRoute | null {
  return k.oif >= 0 ? t.lookupVia(k.daddr, k.oif) : t.lookup(k.daddr);
}

function afterThrow(r: HostRoute | null): HostRoute | null {
  return r !== null && r.type !== RouteType.THROW ? r : null;
}

/** A route proper (fib_props[type].error == 0), which suppress_* selectors may reject. */
function isRoute(r: HostRoute): boolean {
  return r.type !== RouteType.UNREACHABLE && r.type !== RouteType.PROHIBIT && r.type !== RouteType.BLACKHOLE;
}
