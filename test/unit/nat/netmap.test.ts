// Nat.netmap as xt_NETMAP.c netmap_tg4 does it: the address HOOK2MANIP picks keeps its host bits and takes
// the network's, nf_nat_setup_info binds that one address (expectations hand-derived from the C code); the
// per-executor range it reuses is not kept by anything across connections.
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { NatRangeFlag } from '../../../src/netfilter/nat/range.js';
import { CtDir, CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, skbFor, tup } from './fake-ct.js';

const host = { masqueradeSource: () => 0, redirectAddress: () => 0 };

function world() {
  const ct = new FakeCt();
  return { ct, nat: new Nat({ conntrack: ct, prng: new Prng(9), host, extras: ct }) };
}

/** A NEW packet of entry `c` whose header carries the entry's original tuple. */
function packet(w: ReturnType<typeof world>, c: number): Skb {
  const skb = skbFor(c, CtInfo.NEW);
  const o = w.ct.entries[c]!.orig;
  skb.meta.saddr = o.src;
  skb.meta.daddr = o.dst;
  skb.meta.ipProto = o.proto;
  return skb;
}

const reply = (w: ReturnType<typeof world>, c: number) => w.ct.getTuple(c, CtDir.REPLY, new Tuple());
const MAP = NatRangeFlag.MAP_IPS;

describe('netmap_tg4', () => {
  it('PREROUTING and OUTPUT map the destination, keeping its host bits', () => {
    for (const hook of [Hook.PRE_ROUTING, Hook.LOCAL_OUT]) {
      const w = world();
      const c = w.ct.newEntry(tup('198.51.100.10', '203.0.113.77', 40000, 53, IpProto.UDP));
      expect(w.nat.netmap(packet(w, c), ip('172.17.0.0'), ip('172.17.0.255'), MAP, 0, 0, hook)).toBe(Verdict.ACCEPT);
      expect(reply(w, c)).toEqual(tup('172.17.0.77', '198.51.100.10', 53, 40000, IpProto.UDP));
      expect(w.ct.entries[c]!.status).toBe(CtStatus.DST_NAT | CtStatus.DST_NAT_DONE);
    }
  });

  it('POSTROUTING and INPUT map the source; the binding joins the by-source list', () => {
    for (const hook of [Hook.POST_ROUTING, Hook.LOCAL_IN]) {
      const w = world();
      const c = w.ct.newEntry(tup('172.17.0.3', '198.51.100.10', 41000, 443, IpProto.TCP));
      expect(w.nat.netmap(packet(w, c), ip('192.0.2.0'), ip('192.0.2.255'), MAP, 0, 0, hook)).toBe(Verdict.ACCEPT);
      expect(reply(w, c)).toEqual(tup('198.51.100.10', '192.0.2.3', 443, 41000, IpProto.TCP));
      expect(w.ct.entries[c]!.status).toBe(CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE);
      expect(w.ct.bySrc).toEqual([c]);
    }
  });

  it('any prefix, and a netmask with holes, bit by bit', () => {
    const w = world();
    const a = w.ct.newEntry(tup('10.20.30.40', '8.8.8.8', 1, 2, IpProto.UDP));
    w.nat.netmap(packet(w, a), ip('172.16.0.0'), ip('172.16.255.255'), MAP, 0, 0, Hook.POST_ROUTING);
    expect(reply(w, a).dst).toBe(ip('172.16.30.40'));
    // --to 10.0.0.0/255.0.255.0: min 10.0.0.0, max 10.255.0.255; netmask ~(min ^ max) = 255.0.255.0
    const b = w.ct.newEntry(tup('192.168.7.9', '8.8.8.8', 3, 4, IpProto.UDP));
    w.nat.netmap(packet(w, b), ip('10.0.0.0'), ip('10.255.0.255'), MAP, 0, 0, Hook.POST_ROUTING);
    expect(reply(w, b).dst).toBe(ip('10.168.0.9'));
  });

  it('a manip already bound is a drop; another connection gets its own address from the reused range', () => {
    const w = world();
    const c = w.ct.newEntry(tup('198.51.100.10', '203.0.113.5', 40000, 53, IpProto.UDP));
    const d = w.ct.newEntry(tup('198.51.100.11', '203.0.113.6', 40001, 53, IpProto.UDP));
    expect(w.nat.netmap(packet(w, c), ip('172.17.0.0'), ip('172.17.0.255'), MAP, 0, 0, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(w.nat.netmap(packet(w, d), ip('172.17.0.0'), ip('172.17.0.255'), MAP, 0, 0, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(reply(w, c).src).toBe(ip('172.17.0.5'));
    expect(reply(w, d).src).toBe(ip('172.17.0.6'));
    expect(w.nat.netmap(packet(w, c), ip('10.0.0.0'), ip('10.0.0.255'), MAP, 0, 0, Hook.PRE_ROUTING)).toBe(Verdict.DROP);
    expect(reply(w, c).src).toBe(ip('172.17.0.5'));
  });
});
