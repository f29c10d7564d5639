// Conntrack agreement: parses `conntrack -L [-o extended]` text, matches our entries to the kernel's by their
// ORIGINAL tuple (which the input capture fixes), compares state, reply tuple, flags, mark and per-direction
// counters, and turns the NAT ports the kernel chose at random into a per-flow port map for the packet check.

import type { AgreementFailure } from './oracle-report.js';

export interface CtTuple {
  src: string;
  dst: string;
  /** TCP/UDP ports, or -1. */
  sport: number;
  dport: number;
  /** ICMP type/code/id, or -1. */
  type: number;
  code: number;
  id: number;
  packets: number;
  bytes: number;
}

export interface CtEntry {
  line: number;
  l4: string;
  l4num: number;
  timeout: number;
  state: string | null;
  orig: CtTuple;
  reply: CtTuple;
  /** ASSURED, UNREPLIED, OFFLOAD ... */
  flags: string[];
  /** mark, use, zone, secctx, labels ... as printed. */
  extra: Map<string, string>;
}

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'packets', 'bytes']);

function emptyTuple(): CtTuple {
  return { src: '', dst: '', sport: -1, dport: -1, type: -1, code: -1, id: -1, packets: -1, bytes: -1 };
}

/** Parse `conntrack -L` lines ("ipv4 2 tcp 6 119 TIME_WAIT src=... [ASSURED] mark=0 use=1"). */
export function parseConntrackList(text: string, path = 'conntrack -L'): CtEntry[] {
  const out: CtEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const tok = lines[i]!.trim().split(/\s+/);
    if (tok.length < 2 || tok[0] === '') continue;
    let p = 0;
    if (tok[0] === 'ipv4' || tok[0] === 'ipv6') p = 2; // -o extended: "ipv4 2"
    if (tok.length < p + 3 || !/^\d+$/.test(tok[p + 1]!) || !/^\d+$/.test(tok[p + 2]!))
      throw new Error(`${path}:${i + 1}: cannot read conntrack line "${lines[i]}"`);
    const e: CtEntry = {
      line: i + 1,
      l4: tok[p]!,
      l4num: Number(tok[p + 1]),
      timeout: Number(tok[p + 2]),
      state: null,
      orig: emptyTuple(),
      reply: emptyTuple(),
      flags: [],
      extra: new Map(),
    };
    p += 3;
    if (p < tok.length && !tok[p]!.includes('=') && !tok[p]!.startsWith('[')) e.state = tok[p++]!;
    let cur: CtTuple | null = null;
    for (; p < tok.length; p++) {
      const t = tok[p]!;
      if (t.startsWith('[') && t.endsWith(']')) {
        e.flags.push(t.slice(1, -1));
        continue;
      }
      const eq = t.indexOf('=');
      if (eq < 0) continue;
      const k = t.slice(0, eq);
      const v = t.slice(eq + 1);
      if (k === 'src') cur = cur === null ? e.orig : e.reply;
      if (cur && TUPLE_KEYS.has(k)) {
        if (k === 'src' || k === 'dst') cur[k] = v;
        else cur[k as 'sport'] = Number(v);
      } else e.extra.set(k, v);
    }
    out.push(e);
  }
  return out;
}

function tupleText(t: CtTuple): string {
  if (t.sport >= 0) return `${t.src}:${t.sport} > ${t.dst}:${t.dport}`;
  if (t.type >= 0) return `${t.src} > ${t.dst} type ${t.type} code ${t.code} id ${t.id}`;
  return `${t.src} > ${t.dst}`;
}

/** "tcp 172.17.0.2:5000 > 198.51.100.10:80": how failures name an entry (by its ORIGINAL tuple). */
export function entryName(e: CtEntry): string {
  return `${e.l4} ${tupleText(e.orig)}`;
}

/** Port class of nf_nat_l4proto_unique_tuple for a source NAT without --to-ports. */
export function portClass(p: number): [number, number] {
  if (p < 512) return [1, 511];
  if (p < 1024) return [600, 1023];
  return [1024, 65535];
}

/** A NAT port (or ICMP id) the kernel chose at random, mapped from ours to the kernel's for one flow. */
export interface NatPortMapping {
  /** IP protocol number. */
  proto: number;
  /** The NATed side: address and our port; the packet side carrying it is (addr, ours) <-> (peer, peerPort). */
  addr: string;
  ours: number;
  kernel: number;
  peer: string;
  /** -1 for ICMP (the id is one field shared by both directions). */
  peerPort: number;
  flow: string;
}

export interface CtCompareOptions {
  /** Rules carry --random/--random-fully on SNAT/MASQUERADE: every source NAT port is drawn at random. */
  randomSnat: boolean;
  /** Rules carry DNAT --random: a DNAT port inside a range is drawn at random. */
  randomDnat: boolean;
  /** Our timeout may exceed the kernel's by this many seconds (the kernel dumped later than the last packet). */
  timeoutSlackS: number;
}

/**
 * Compare conntrack tables. Timeout rule: ours is computed at the capture's last packet, the kernel's when
 * `conntrack -L` ran a little later, so ours - kernel must lie in [-1, timeoutSlackS] (-1: both round down).
 */
export function compareConntrack(kernel: CtEntry[], ours: CtEntry[], opt: CtCompareOptions): { failures: AgreementFailure[]; portMap: NatPortMapping[]; matched: number } {
  const failures: AgreementFailure[] = [];
  const portMap: NatPortMapping[] = [];
  const fail = (check: 'conntrack' | 'nat-port', where: string, message: string): void => void failures.push({ check, where: `conntrack ${where}`, message });
  const key = (e: CtEntry): string => entryName(e);
  const oursByKey = new Map<string, CtEntry>();
  for (const o of ours) {
    if (oursByKey.has(key(o))) fail('conntrack', key(o), `ours lists this ORIGINAL tuple twice (lines ${oursByKey.get(key(o))!.line} and ${o.line})`);
    oursByKey.set(key(o), o);
  }
  // reply tuples are unique in a conntrack table: a NAT that picked a taken tuple would have clashed
  const replySeen = new Map<string, CtEntry>();
  for (const o of ours) {
    const rk = `${o.l4num} ${tupleText(o.reply)}`;
    const prev = replySeen.get(rk);
    if (prev) fail('nat-port', key(o), `ours has the same REPLY tuple (${tupleText(o.reply)}) as ${key(prev)}: not unique`);
    replySeen.set(rk, o);
  }
  let matched = 0;
  for (const k of kernel) {
    const name = key(k);
    const o = oursByKey.get(name);
    if (!o) {
      fail('conntrack', name, `missing from ours (kernel: ${k.state ?? ''} reply ${tupleText(k.reply)} [${k.flags.join(',')}])`);
      continue;
    }
    oursByKey.delete(name);
    matched++;
    if (k.state !== o.state) fail('conntrack', name, `state: kernel ${k.state}, ours ${o.state}`);
    const kf = [...k.flags].sort().join(',');
    const of = [...o.flags].sort().join(',');
    if (kf !== of) fail('conntrack', name, `status flags: kernel [${kf}], ours [${of}]`);
    for (const x of ['mark', 'zone', 'use', 'labels', 'secctx']) {
      if (k.extra.get(x) !== o.extra.get(x)) fail('conntrack', name, `${x}: kernel ${k.extra.get(x) ?? '(absent)'}, ours ${o.extra.get(x) ?? '(absent)'}`);
    }
    for (const dir of ['orig', 'reply'] as const) {
      if (k[dir].packets !== o[dir].packets || k[dir].bytes !== o[dir].bytes)
        fail('conntrack', name, `${dir === 'orig' ? 'ORIGINAL' : 'REPLY'} counters: kernel packets=${k[dir].packets} bytes=${k[dir].bytes}, ours packets=${o[dir].packets} bytes=${o[dir].bytes}`);
    }
    const dt = o.timeout - k.timeout;
    if (dt < -1 || dt > opt.timeoutSlackS) fail('conntrack', name, `timeout: kernel ${k.timeout} s, ours ${o.timeout} s (ours - kernel must lie in [-1, ${opt.timeoutSlackS}])`);
    compareReply(k, o, opt, portMap, (m) => fail('nat-port', name, m), (m) => fail('conntrack', name, m));
  }
  for (const o of oursByKey.values()) fail('conntrack', key(o), `ours has an entry the kernel does not (line ${o.line}: ${o.state ?? ''} reply ${tupleText(o.reply)})`);
  // one flow, one mapping; and no two of our ports onto one kernel port towards the same peer
  const seen = new Map<string, NatPortMapping>();
  for (const m of portMap) {
    const sk = `${m.proto} ${m.addr} ${m.peer}:${m.peerPort} k${m.kernel}`;
    const prev = seen.get(sk);
    if (prev && prev.ours !== m.ours) fail('nat-port', m.flow, `kernel port ${m.kernel} maps from two of our ports (${prev.ours}, ${m.ours})`);
    seen.set(sk, m);
  }
  return { failures, portMap, matched };
}

function compareReply(k: CtEntry, o: CtEntry, opt: CtCompareOptions, portMap: NatPortMapping[], natFail: (m: string) => void, ctFail: (m: string) => void): void {
  const kr = k.reply;
  const or = o.reply;
  const diffs: string[] = [];
  for (const f of ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'] as const) if (kr[f] !== or[f]) diffs.push(f);
  if (diffs.length === 0) return;
  const both = `kernel ${tupleText(kr)}, ours ${tupleText(or)}`;
  const icmp = k.l4num === 1;
  const snatField = icmp ? 'id' : 'dport';
  const isSnat = kr.dst !== k.orig.src;
  // SNAT/MASQUERADE: the kernel's port choice is random when it had to remap (a clash) or with --random*
  if (diffs.length === 1 && diffs[0] === snatField && isSnat) {
    const orig = icmp ? k.orig.id : k.orig.sport;
    const kp = kr[snatField];
    const op = or[snatField];
    if (!opt.randomSnat && kp === orig) return ctFail(`reply tuple: ${both}: the kernel kept the original ${icmp ? 'id' : 'port'} ${orig}, ours changed it`);
    if (!opt.randomSnat && op === orig) return natFail(`the kernel had to remap the taken ${icmp ? 'id' : 'port'} ${orig} (to ${kp}), ours kept it`);
    if (!icmp) {
      const [lo, hi] = portClass(orig);
      if (op < lo || op > hi) return natFail(`our NAT port ${op} is outside the class ${lo}-${hi} of the original port ${orig} (kernel chose ${kp})`);
    }
    portMap.push({ proto: k.l4num, addr: or.dst, ours: op, kernel: kp, peer: or.src, peerPort: icmp ? -1 : or.sport, flow: entryName(k) });
    return;
  }
  // DNAT --random into a port range: the backend port is drawn at random
  if (diffs.length === 1 && diffs[0] === 'sport' && opt.randomDnat && kr.src !== k.orig.dst) {
    portMap.push({ proto: k.l4num, addr: or.src, ours: or.sport, kernel: kr.sport, peer: or.dst, peerPort: or.dport, flow: entryName(k) });
    return;
  }
  ctFail(`reply tuple (${diffs.join(', ')}): ${both}`);
}
