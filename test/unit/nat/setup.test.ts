// nf_nat_setup_info bookkeeping, null bindings, MASQUERADE / REDIRECT targets, nf_nat_oif_changed,
// nf_nat_used_tuple_new's reverse-clash tolerance and nf_nat_used_tuple_harder's eviction, as
// nf_nat_core.c / nf_nat_masquerade.c / nf_nat_redirect.c define them (expectations hand-derived).
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { TcpState } from '../../../src/netfilter/conntrack/api.js';
import { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { Manip, natRangeFrom } from '../../../src/netfilter/nat/range.js';
import { CtDir, CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, skbFor, tup } from './fake-ct.js';

const EXT = ip('198.51.100.1');
const host = {
  masqueradeSource: (outIf: number) => (outIf === 1 ? EXT : 0),
  redirectAddress: (inIf: number) => (inIf === 2 ? ip('172.17.0.1') : 0),
};

function world(extras = true) {
  const ct = new FakeCt();
  const nat = new Nat({ conntrack: ct, prng: new Prng(5), host, extras: extras ? ct : null });
  return { ct, nat };
}

const reply = (w: ReturnType<typeof world>, c: number) => w.ct.getTuple(c, CtDir.REPLY, new Tuple());

describe('nf_nat_setup_info bookkeeping', () => {
  it('an unchanged tuple sets only *_NAT_DONE; SRC bindings join the by-source list even then', () => {
    const w = world();
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.2', 40000, 80, IpProto.TCP));
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.nullBinding(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(w.ct.entries[c]!.status).toBe(CtStatus.DST_NAT_DONE);
    expect(w.ct.bySrc).toEqual([]);
    expect(w.nat.nullBinding(skb, Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
    expect(w.ct.entries[c]!.status).toBe(CtStatus.DST_NAT_DONE | CtStatus.SRC_NAT_DONE);
    expect(w.ct.bySrc).toEqual([c]);
    expect(reply(w, c)).toEqual(tup('10.0.2.2', '10.0.1.2', 80, 40000, IpProto.TCP));
    expect(w.nat.initialized(skb, Manip.SRC) && w.nat.initialized(skb, Manip.DST)).toBe(true);
  });

  it('a changed tuple sets IPS_SRC_NAT / IPS_DST_NAT and refreshes the skb snapshot', () => {
    const w = world();
    const c = w.ct.newEntry(tup('198.51.100.10', '198.51.100.1', 45388, 8080, IpProto.TCP));
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.dnat(skb, natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 80 }))).toBe(Verdict.ACCEPT);
    expect(w.ct.entries[c]!.status).toBe(CtStatus.DST_NAT | CtStatus.DST_NAT_DONE);
    // conntrack-L.txt of 02-dnat-published-port: reply src=172.17.0.2 dst=198.51.100.10 sport=80 dport=45388
    expect(reply(w, c)).toEqual(tup('172.17.0.2', '198.51.100.10', 80, 45388, IpProto.TCP));
    expect(skb.ctStatus).toBe(CtStatus.DST_NAT | CtStatus.DST_NAT_DONE);
    expect(skb.ctReplSrc).toBe(ip('172.17.0.2'));
  });

  it('a second binding of the same manip is dropped; a confirmed entry is left alone', () => {
    const w = world();
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.2', 40000, 80, IpProto.UDP));
    const skb = skbFor(c, CtInfo.NEW);
    const r = natRangeFrom({ minAddr: ip('172.17.0.2') });
    expect(w.nat.dnat(skb, r)).toBe(Verdict.ACCEPT);
    expect(w.nat.dnat(skb, r)).toBe(Verdict.DROP);
    w.ct.confirm(c);
    expect(w.nat.snat(skb, natRangeFrom({ minAddr: ip('1.2.3.4') }))).toBe(Verdict.ACCEPT);
    expect(w.ct.entries[c]!.status & CtStatus.SRC_NAT_DONE).toBe(0);
  });

  it('null binding can still rewrite a port: a local flow clashing with a masqueraded one (reference 6.1)', () => {
    const w = world();
    // a MASQUERADEd client already owns 10.0.2.1:45000 towards 10.0.2.2:80
    w.ct.addConfirmed(tup('10.0.1.2', '10.0.2.2', 45000, 80, IpProto.TCP), tup('10.0.2.2', '10.0.2.1', 80, 45000, IpProto.TCP), CtStatus.SRC_NAT);
    const c = w.ct.newEntry(tup('10.0.2.1', '10.0.2.2', 45000, 80, IpProto.TCP));
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.nullBinding(skb, Hook.LOCAL_OUT)).toBe(Verdict.ACCEPT);
    expect(w.nat.nullBinding(skb, Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
    const r = reply(w, c);
    expect(r.src).toBe(ip('10.0.2.2'));
    expect(r.dst).toBe(ip('10.0.2.1'));
    expect(r.dport).not.toBe(45000);
    expect(r.dport).toBeGreaterThanOrEqual(1024);
    expect(w.ct.entries[c]!.status & CtStatus.SRC_NAT).toBe(CtStatus.SRC_NAT);
  });
});

describe('nf_nat_used_tuple_new: reverse-direction clash of un-NATed UDP (6.12+)', () => {
  function reverse(proto: number, existingStatus: number, extras = true) {
    const w = world(extras);
    // A:1234 -> B:80 exists; the "reply" B:80 -> A:1234 was picked up as a new entry on another CPU
    w.ct.addConfirmed(tup('10.0.0.1', '10.0.0.2', 1234, 80, proto), tup('10.0.0.2', '10.0.0.1', 80, 1234, proto), existingStatus);
    const c = w.ct.newEntry(tup('10.0.0.2', '10.0.0.1', 80, 1234, proto));
    const skb = skbFor(c, CtInfo.NEW);
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    w.nat.nullBinding(skb, Hook.POST_ROUTING);
    return reply(w, c).dport;
  }
  it('UDP, neither side NATed: the port is kept (left to clash resolution)', () => {
    expect(reverse(IpProto.UDP, 0)).toBe(80);
  });
  it('TCP (no allow_clash): the source port is reallocated', () => {
    expect(reverse(IpProto.TCP, 0)).not.toBe(80);
  });
  it('UDP whose clashing entry is NATed: reallocated', () => {
    expect(reverse(IpProto.UDP, CtStatus.SRC_NAT)).not.toBe(80);
  });
  it('without conntrack extras every clash counts as taken', () => {
    expect(reverse(IpProto.UDP, 0, false)).not.toBe(80);
  });
});

describe('nf_nat_used_tuple_harder: evicting closing SNAT entries in the last 32 probes', () => {
  function full(newTdEnd: number, oldState: number) {
    const w = world();
    for (let p = 5000; p < 5020; p++) {
      const e = w.ct.addConfirmed(tup('10.0.1.9', '10.0.2.2', 30000 + p, 80, IpProto.TCP), tup('10.0.2.2', EXT_S, 80, p, IpProto.TCP), CtStatus.SRC_NAT);
      w.ct.entries[e]!.tcpState = oldState;
      w.ct.entries[e]!.tdEnd = 1000;
    }
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.2', 40000, 80, IpProto.TCP));
    w.ct.entries[c]!.tcpState = TcpState.SYN_SENT;
    w.ct.entries[c]!.tdEnd = newTdEnd;
    const skb = skbFor(c, CtInfo.NEW);
    skb.outIf = 1;
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    w.nat.masquerade(skb, natRangeFrom({ minPort: 5000, maxPort: 5019 }), 0);
    return { w, port: reply(w, c).dport };
  }
  const EXT_S = '198.51.100.1';

  it('a TIME_WAIT entry with an older sequence is killed and its port reused at the first probe', () => {
    const { w, port } = full(2000, TcpState.TIME_WAIT);
    expect(w.ct.kills).toBe(1);
    expect(port).toBeGreaterThanOrEqual(5000);
    expect(port).toBeLessThanOrEqual(5019);
    expect(w.ct.finds.length).toBe(1);
    expect(w.ct.found).toBe(0);
  });
  it('not when the new sequence has not advanced, nor for ESTABLISHED entries: the range is exhausted', () => {
    for (const [td, st] of [
      [1000, TcpState.TIME_WAIT],
      [2000, TcpState.ESTABLISHED],
    ] as const) {
      const { w } = full(td, st);
      expect(w.ct.kills).toBe(0);
      expect(w.nat.alloc.stats.exhausted).toBe(1);
      expect(w.ct.finds.length).toBe(20);
    }
  });
});

describe('MASQUERADE, REDIRECT, nf_nat_oif_changed', () => {
  it('MASQUERADE: source 0.0.0.0 is left alone, no device address drops, masq_index remembers the device', () => {
    const w = world();
    const zero = w.ct.newEntry(tup('0.0.0.0', '255.255.255.255', 68, 67, IpProto.UDP));
    const s0 = skbFor(zero, CtInfo.NEW);
    s0.outIf = 1;
    expect(w.nat.masquerade(s0, natRangeFrom({}), 0)).toBe(Verdict.ACCEPT);
    expect(w.ct.entries[zero]!.status & CtStatus.SRC_NAT_DONE).toBe(0);

    const c = w.ct.newEntry(tup('172.17.0.2', '198.51.100.10', 37922, 80, IpProto.TCP));
    const skb = skbFor(c, CtInfo.NEW);
    skb.outIf = 3; // a device without an address
    expect(w.nat.masquerade(skb, natRangeFrom({}), 0)).toBe(Verdict.DROP);
    skb.outIf = 1;
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    expect(w.nat.masquerade(skb, natRangeFrom({}), 0)).toBe(Verdict.ACCEPT);
    // 01-tcp-egress-masq: MASQUERADE kept the container source port 37922
    expect(reply(w, c)).toEqual(tup('198.51.100.10', '198.51.100.1', 80, 37922, IpProto.TCP));
    w.ct.confirm(c);
    expect(w.nat.oifChanged(skb, Hook.POST_ROUTING)).toBe(false);
    const later = skbFor(c, CtInfo.ESTABLISHED);
    later.outIf = 4;
    expect(w.nat.oifChanged(later, Hook.POST_ROUTING)).toBe(true);
    expect(w.nat.oifChanged(later, Hook.LOCAL_IN)).toBe(false);
    const replyPkt = skbFor(c, CtInfo.ESTABLISHED_REPLY);
    replyPkt.outIf = 4;
    expect(w.nat.oifChanged(replyPkt, Hook.POST_ROUTING)).toBe(false);
    // hookFn kills the entry and drops the packet
    expect(w.nat.hookFn(later, Hook.POST_ROUTING, null)).toBe(Verdict.DROP);
    expect(w.ct.kills).toBe(1);
  });

  it('a reused entry handle starts without a masq_index', () => {
    const w = world();
    const c = w.ct.newEntry(tup('172.17.0.2', '198.51.100.10', 1000, 80, IpProto.UDP));
    w.nat.binder.masqIndex[c] = 9; // left over from a previous occupant
    const skb = skbFor(c, CtInfo.NEW);
    skb.outIf = 5;
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    w.nat.nullBinding(skb, Hook.POST_ROUTING);
    expect(w.nat.oifChanged(skb, Hook.POST_ROUTING)).toBe(false);
  });

  it('REDIRECT: OUTPUT goes to 127.0.0.1, PREROUTING to the input device address, none drops', () => {
    const w = world();
    const r = natRangeFrom({ minPort: 3128 });
    const a = w.ct.newEntry(tup('10.0.2.1', '93.184.216.34', 50000, 80, IpProto.TCP));
    expect(w.nat.redirect(skbFor(a, CtInfo.NEW), r, Hook.LOCAL_OUT)).toBe(Verdict.ACCEPT);
    expect(reply(w, a)).toEqual(tup('127.0.0.1', '10.0.2.1', 3128, 50000, IpProto.TCP));
    const b = w.ct.newEntry(tup('172.17.0.2', '93.184.216.34', 50000, 80, IpProto.TCP));
    const sb = skbFor(b, CtInfo.NEW);
    sb.inIf = 2;
    expect(w.nat.redirect(sb, r, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(reply(w, b)).toEqual(tup('172.17.0.1', '172.17.0.2', 3128, 50000, IpProto.TCP));
    const d = w.ct.newEntry(tup('172.17.0.3', '93.184.216.34', 50000, 80, IpProto.TCP));
    const sd = skbFor(d, CtInfo.NEW);
    sd.inIf = 7;
    expect(w.nat.redirect(sd, r, Hook.PRE_ROUTING)).toBe(Verdict.DROP);
  });
});

describe('hookFn (nf_nat_ipv4_fn + nf_nat_inet_fn)', () => {
  it('runs the nat table only for NEW packets whose binding is not made, then null-binds', () => {
    const w = world();
    const c = w.ct.newEntry(tup('198.51.100.10', '198.51.100.1', 45388, 8080, IpProto.TCP));
    let runs = 0;
    const rules = {
      runNatTable: (skb: ReturnType<typeof skbFor>, hook: number) => {
        runs++;
        return hook === Hook.PRE_ROUTING ? w.nat.dnat(skb, natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 80 })) : Verdict.ACCEPT;
      },
    };
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.hookFn(skb, Hook.PRE_ROUTING, rules)).toBe(Verdict.ACCEPT);
    expect(w.nat.hookFn(skb, Hook.POST_ROUTING, rules)).toBe(Verdict.ACCEPT);
    expect(runs).toBe(2);
    expect(w.ct.entries[c]!.status & (CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE)).toBe(CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE);
    // a retransmitted NEW packet does not run the table again
    expect(w.nat.hookFn(skb, Hook.PRE_ROUTING, rules)).toBe(Verdict.ACCEPT);
    expect(runs).toBe(2);
    const est = skbFor(c, CtInfo.ESTABLISHED);
    w.nat.hookFn(est, Hook.PRE_ROUTING, rules);
    expect(runs).toBe(2);
  });

  it('a DROP from the nat table is returned and leaves no binding', () => {
    const w = world();
    const c = w.ct.newEntry(tup('10.0.0.1', '10.0.0.2', 1, 2, IpProto.UDP));
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.hookFn(skb, Hook.PRE_ROUTING, { runNatTable: () => Verdict.DROP })).toBe(Verdict.DROP);
    expect(w.ct.entries[c]!.status).toBe(0);
  });
});

describe('random draws per vCPU (determinism contract)', () => {
  it("a vCPU's port choices do not depend on how its packets interleave with another vCPU's", () => {
    const flows = (vcpu: number) => [0, 1, 2, 3].map((i) => tup(`10.${vcpu}.0.${i + 1}`, '10.9.9.9', 5000 + i, 80, IpProto.UDP));
    function run(order: number[]): Map<string, number> {
      const ct = new FakeCt();
      const nat = new Nat({ conntrack: ct, prng: new Prng(77), host, extras: ct });
      const next = [0, 0];
      const out = new Map<string, number>();
      for (const v of order) {
        const t = flows(v)[next[v]!++]!;
        const c = ct.newEntry(t, v);
        const skb = skbFor(c, CtInfo.NEW, v, 0);
        nat.setupInfo(skb, natRangeFrom({ minAddr: ip('198.51.100.1'), random: true }), Manip.SRC);
        out.set(`${v}:${t.src}`, reply({ ct, nat }, c).dport);
      }
      return out;
    }
    const a = run([0, 0, 0, 0, 1, 1, 1, 1]);
    const b = run([1, 0, 1, 0, 1, 0, 1, 0]);
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    expect(new Set(a.values()).size).toBe(8);
  });
});
