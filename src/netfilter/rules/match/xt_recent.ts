// `-m recent` (revision 1): named lists of recently seen addresses with per-entry time stamps, as
// net/netfilter/xt_recent.c (recent_mt, recent_mt_check, recent_entry_*; ip_list_tot 100, time stamps per
// entry a power of two) on capture-time jiffies; libxt_recent.c for options, defaults and print order.
// The lists are shared by name across the rules of one load (LoadContext.shared), as per network namespace.

import type { LoadContext, MatchModule } from '../module.js';
import { Family } from '../ast.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, uintOr } from '../mod-util.js';
import { parseIpv4Numeric, canonicalIpv6 } from '../addr.js';
import { formatIpv4 } from '../../../util/ipv4.js';
import { Hook } from '../../skb.js';

/** XT_RECENT_* check_set bits. */
export const RecentFlag = { CHECK: 1 << 0, SET: 1 << 1, UPDATE: 1 << 2, REMOVE: 1 << 3, TTL: 1 << 4, REAP: 1 << 5 } as const;

/** XT_RECENT_MAX_NSTAMPS and the module's ip_list_tot default. */
export const RECENT_MAX_NSTAMPS = 256;
export const RECENT_LIST_TOT = 100;
/** XT_RECENT_NAME_LEN. */
export const RECENT_NAME_LEN = 200;

/** struct xt_recent_mtinfo_v1. */
export interface RecentData {
  seconds: number;
  hitCount: number;
  checkSet: number;
  invert: boolean;
  name: string;
  /** 0 = source (--rsource), 1 = destination (--rdest). */
  side: number;
  mask: number;
  mask6: string;
}

/**
 * One named list (struct recent_table): at most RECENT_LIST_TOT entries in preallocated slots, an LRU list
 * over slot indices, and per-slot time stamp rings of (nstampsMaxMask + 1) jiffies.
 */
export class RecentTable {
  readonly name: string;
  /** The mask of the rule that created the table. */
  readonly mask: number;
  nstampsMaxMask: number;
  entries: number;
  addr: Uint32Array;
  ttl: Uint8Array;
  index: Uint16Array;
  nstamps: Uint16Array;
  used: Uint8Array;
  stamps: Float64Array;
  /** LRU doubly linked list over slots; head = oldest. -1 = none. */
  prev: Int32Array;
  next: Int32Array;
  head: number;
  tail: number;

  constructor(name: string, mask: number, nstampsMaxMask: number) {
    this.name = name;
    this.mask = mask;
    this.nstampsMaxMask = nstampsMaxMask;
    this.entries = 0;
    this.addr = new Uint32Array(RECENT_LIST_TOT);
    this.ttl = new Uint8Array(RECENT_LIST_TOT);
    this.index = new Uint16Array(RECENT_LIST_TOT);
    this.nstamps = new Uint16Array(RECENT_LIST_TOT);
    this.used = new Uint8Array(RECENT_LIST_TOT);
    this.stamps = new Float64Array(RECENT_LIST_TOT * (nstampsMaxMask + 1));
    this.prev = new Int32Array(RECENT_LIST_TOT).fill(-1);
    this.next = new Int32Array(RECENT_LIST_TOT).fill(-1);
    this.head = -1;
    this.tail = -1;
  }

  /** Raise the stamp ring size (a new rule needs more); like the kernel this flushes the table. Load time only. */
  grow(nstampsMaxMask: number): void {
    if (nstampsMaxMask <= this.nstampsMaxMask) return;
    this.nstampsMaxMask = nstampsMaxMask;
    this.stamps = new Float64Array(RECENT_LIST_TOT * (nstampsMaxMask + 1));
    this.used.fill(0);
    this.entries = 0;
    this.head = this.tail = -1;
  }

  /** HOT: recent_entry_lookup (ttl 0 = any). */
  lookup(addr: number, ttl: number): number {
    for (let e = this.head; e >= 0; e = this.next[e]!) {
      if (this.addr[e] === addr && (ttl === this.ttl[e] || ttl === 0 || this.ttl[e] === 0)) return e;
    }
    return -1;
  }

  private unlink(e: number): void {
    const p = this.prev[e]!;
    const n = this.next[e]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.prev[e] = this.next[e] = -1;
  }

  private append(e: number): void {
    this.prev[e] = this.tail;
    this.next[e] = -1;
    if (this.tail >= 0) this.next[this.tail] = e;
    else this.head = e;
    this.tail = e;
  }

  /** HOT: recent_entry_remove. */
  remove(e: number): void {
    this.unlink(e);
    this.used[e] = 0;
    this.entries--;
  }

  /** HOT: recent_entry_init; evicts the oldest entry when full. Returns the slot. */
  init(addr: number, ttl: number, jiffies: number): number {
    if (this.entries >= RECENT_LIST_TOT) this.remove(this.head);
    let e = 0;
    while (this.used[e] === 1) e++;
    this.used[e] = 1;
    this.addr[e] = addr;
    this.ttl[e] = ttl;
    this.stamps[e * (this.nstampsMaxMask + 1)] = jiffies;
    this.nstamps[e] = 1;
    this.index[e] = 1;
    this.append(e);
    this.entries++;
    return e;
  }

  /** HOT: recent_entry_update. */
  update(e: number, jiffies: number): void {
    let idx = this.index[e]! & this.nstampsMaxMask;
    this.stamps[e * (this.nstampsMaxMask + 1) + idx] = jiffies;
    idx++;
    this.index[e] = idx;
    if (idx > this.nstamps[e]!) this.nstamps[e] = idx;
    this.unlink(e);
    this.append(e);
  }

  /** Time stamp i of slot e. */
  stamp(e: number, i: number): number {
    return this.stamps[e * (this.nstampsMaxMask + 1) + i]!;
  }

  /** HOT: recent_entry_reap: drop the oldest entry if its last stamp is before `time` (not the one being updated). */
  reap(time: number, working: number, updating: boolean): void {
    const e = this.head;
    if (e < 0 || (e === working && updating)) return;
    if (time > this.stamp(e, this.index[e]! - 1)) this.remove(e);
  }
}

/** Per-rule state: the shared table and HZ. */
export class RecentState {
  constructor(
    readonly table: RecentTable,
    readonly hz: number,
  ) {}
}

const OPTS = ['set', 'rcheck', 'update', 'remove', 'seconds', 'reap', 'hitcount', 'rttl', 'name', 'rsource', 'rdest', 'mask'] as const;
const OPS = RecentFlag.SET | RecentFlag.CHECK | RecentFlag.UPDATE | RecentFlag.REMOVE;

function nstampMask(hitCount: number): number {
  if (hitCount === 0) return 31;
  let p = 1;
  while (p < hitCount) p *= 2;
  return p - 1;
}

export const recentMatch: MatchModule<RecentData, RecentState> = {
  kind: 'match',
  name: 'recent',
  family: 0,
  options: OPTS.map((name, i) => ({ name, args: i === 4 || i === 6 || i === 8 || i === 11 ? (1 as const) : (0 as const), invert: i < 4 })),
  init: () => ({ seconds: 0, hitCount: 0, checkSet: 0, invert: false, name: 'DEFAULT', side: 0, mask: 0xffffffff, mask6: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' }),
  parse(d, o, ctx) {
    const op = [RecentFlag.SET, RecentFlag.CHECK, RecentFlag.UPDATE, RecentFlag.REMOVE][o.id];
    if (op !== undefined) {
      if ((d.checkSet & OPS) !== 0) conflict(ctx, "recent: only one of `--set', `--rcheck', `--update' or `--remove' may be given");
      if (op & (RecentFlag.SET | RecentFlag.REMOVE) && (d.checkSet & RecentFlag.TTL) !== 0) conflict(ctx, '--rttl cannot be used with --set or --remove');
      d.checkSet |= op;
      if (o.invert) d.invert = true;
      return;
    }
    switch (OPTS[o.id]) {
      case 'seconds':
        d.seconds = uintOr(ctx, o.value, 1, 0xffffffff, 'seconds');
        break;
      case 'reap':
        d.checkSet |= RecentFlag.REAP;
        break;
      case 'hitcount':
        d.hitCount = uintOr(ctx, o.value, 1, 0xffffffff, 'hitcount');
        break;
      case 'rttl':
        if ((d.checkSet & (RecentFlag.SET | RecentFlag.REMOVE)) !== 0) conflict(ctx, '--rttl cannot be used with --set or --remove');
        d.checkSet |= RecentFlag.TTL;
        break;
      case 'name':
        if (o.value === '' || o.value.length >= RECENT_NAME_LEN) badValue(ctx, `bad list name \`${o.value}'`);
        d.name = o.value;
        break;
      case 'rsource':
        d.side = 0;
        break;
      case 'rdest':
        d.side = 1;
        break;
      case 'mask':
        if (ctx.family === Family.IPV6) {
          const m = canonicalIpv6(o.value);
          if (m === null) badValue(ctx, `bad mask \`${o.value}'`);
          d.mask6 = m;
        } else {
          const m = parseIpv4Numeric(o.value);
          if (m < 0) badValue(ctx, `bad mask \`${o.value}'`);
          d.mask = m;
        }
        break;
    }
  },
  finish(d, ctx) {
    if ((d.checkSet & OPS) === 0) missing(ctx, "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    if ((d.checkSet & RecentFlag.REAP) !== 0 && d.seconds === 0) missing(ctx, 'option "--reap" also requires "--seconds"');
  },
  check(d, ctx) {
    if ((d.checkSet & (RecentFlag.SET | RecentFlag.REMOVE)) !== 0 && (d.seconds !== 0 || d.hitCount !== 0 || (d.checkSet & (RecentFlag.TTL | RecentFlag.REAP)) !== 0)) {
      ctx.error(IssueCode.CONFLICT, 'recent match: --seconds, --hitcount, --rttl and --reap only go with --rcheck or --update');
    }
    if (d.hitCount >= RECENT_MAX_NSTAMPS) ctx.error(IssueCode.BAD_VALUE, `recent match: hitcount (${d.hitCount}) is larger than allowed maximum (${RECENT_MAX_NSTAMPS - 1})`);
  },
  print(d, ctx) {
    let s = d.invert ? '! ' : '';
    const parts: string[] = [];
    if ((d.checkSet & RecentFlag.SET) !== 0) parts.push('--set');
    if ((d.checkSet & RecentFlag.CHECK) !== 0) parts.push('--rcheck');
    if ((d.checkSet & RecentFlag.UPDATE) !== 0) parts.push('--update');
    if ((d.checkSet & RecentFlag.REMOVE) !== 0) parts.push('--remove');
    if (d.seconds !== 0) parts.push(`--seconds ${d.seconds}`);
    if ((d.checkSet & RecentFlag.REAP) !== 0) parts.push('--reap');
    if (d.hitCount !== 0) parts.push(`--hitcount ${d.hitCount}`);
    if ((d.checkSet & RecentFlag.TTL) !== 0) parts.push('--rttl');
    parts.push(`--name ${d.name}`);
    parts.push(`--mask ${ctx.family === Family.IPV6 ? d.mask6 : formatIpv4(d.mask)}`);
    parts.push(d.side === 1 ? '--rdest' : '--rsource');
    s += parts.join(' ');
    return s;
  },
  createState(d: RecentData, ctx: LoadContext) {
    const mask = nstampMask(d.hitCount);
    const t = ctx.shared(`recent:${d.name}`, () => new RecentTable(d.name, d.mask, mask));
    t.grow(mask);
    return new RecentState(t, ctx.hz);
  },
  // HOT: recent_mt (IPv4)
  match(d, skb, _env, st) {
    const t = st.table;
    const m = skb.meta;
    let ret = d.invert;
    const raw = d.side === 1 ? m.daddr : m.saddr;
    let ttl = m.ipTtl;
    // "use TTL as seen before forwarding": packets going out that no local socket sent
    if (skb.outIf >= 0 && (skb.hook === Hook.FORWARD || (skb.hook === Hook.POST_ROUTING && skb.inIf >= 0))) ttl = (ttl + 1) & 0xff;
    const addr = (raw & t.mask) >>> 0;
    const jiffies = Math.floor((skb.nowNs * st.hz) / 1e9);
    const e = t.lookup(addr, (d.checkSet & RecentFlag.TTL) !== 0 ? ttl : 0);
    if (e < 0) {
      if ((d.checkSet & RecentFlag.SET) === 0) return ret;
      t.init(addr, ttl, jiffies);
      return !ret;
    }
    if ((d.checkSet & RecentFlag.SET) !== 0) ret = !ret;
    else if ((d.checkSet & RecentFlag.REMOVE) !== 0) {
      t.remove(e);
      return !ret;
    } else if ((d.checkSet & (RecentFlag.CHECK | RecentFlag.UPDATE)) !== 0) {
      const time = jiffies - d.seconds * st.hz;
      let hits = 0;
      const n = t.nstamps[e]!;
      for (let i = 0; i < n; i++) {
        if (d.seconds !== 0 && time > t.stamp(e, i)) continue;
        if (d.hitCount === 0 || ++hits >= d.hitCount) {
          ret = !ret;
          break;
        }
      }
      if ((d.checkSet & RecentFlag.REAP) !== 0) t.reap(time, e, (d.checkSet & RecentFlag.UPDATE) !== 0 && ret);
    }
    if ((d.checkSet & RecentFlag.SET) !== 0 || ((d.checkSet & RecentFlag.UPDATE) !== 0 && ret)) {
      t.update(e, jiffies);
      t.ttl[e] = ttl;
    }
    return ret;
  },
};
