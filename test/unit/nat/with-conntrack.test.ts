// NAT on the real conntrack table and the real decoder: first packets of the oracle's 05 and 12 scenarios
// go through nf_conntrack_in, the NAT hooks and confirm; the bindings and the `conntrack -S found` counts
// must be the kernel's (conntrack-L.txt and conntrack-S-delta.json of the recordings), and two vCPUs that
// cannot see each other's new entries must pick the same reply tuple (the SNAT race of reference 6.4).
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../../src/capture/types.js';
import { DecodeCounters } from '../../../src/decode/counters.js';
import { decodeFrame } from '../../../src/decode/decode.js';
import { IpProto, PacketMeta } from '../../../src/decode/meta.js';
import { CtStat } from '../../../src/netfilter/conntrack/api.js';
import { createConntrack, type Conntrack } from '../../../src/netfilter/conntrack/conntrack.js';
import { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { natRangeFrom, type NatRange } from '../../../src/netfilter/nat/range.js';
import { CtDir, Hook, Skb, Verdict } from '../../../src/netfilter/skb.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { Prng } from '../../../src/util/prng.js';
import { tup } from './fake-ct.js';
import { build } from './gen.js';

const EXT = ip('198.51.100.1');
const host = { masqueradeSource: () => EXT, redirectAddress: () => 0 };

function world(cpus = 1, serviceNs = 0) {
  const ct = createConntrack({ cpus, serviceNs });
  const nat = new Nat({ conntrack: ct, prng: new Prng(21).fork('nat'), host, extras: ct });
  return { ct, nat, counters: new DecodeCounters() };
}

/** A first packet (TCP SYN, UDP datagram) as raw IPv4 bytes. */
function first(t: Tuple): Uint8Array {
  const b = build({ proto: t.proto, src: t.src, dst: t.dst, sport: t.sport, dport: t.dport, icmpType: 8, ipOpts: 0, tcpOpts: 0, payload: new Uint8Array(4), ttl: 64, ipId: 1, udpNoCsum: false });
  if (t.proto === IpProto.TCP) {
    b[33] = 0x02; // SYN only
    b[34] = 0xff; // window
    b[35] = 0xff;
    b[36] = 0;
    b[37] = 0;
    let sum = 0;
    const len = b.length - 20;
    for (let i = 20; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
    for (let i = 12; i < 20; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    sum += 6 + len;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    b[36] = c >>> 8;
    b[37] = c & 0xff;
  }
  return b;
}

/** Run one first packet through conntrack, DNAT/null at PRE_ROUTING, MASQUERADE/null at POST_ROUTING, confirm. */
function pass(w: ReturnType<typeof world>, t: Tuple, opts: { dnat?: NatRange; masq?: NatRange; vcpu?: number; now?: number; finish?: number }) {
  const b = first(t);
  const meta = new PacketMeta();
  decodeFrame(meta, b, 0, b.length, b.length, LinkType.IPV4, w.counters);
  const skb = new Skb(meta);
  skb.vcpu = opts.vcpu ?? 0;
  skb.nowNs = opts.now ?? 0;
  skb.outIf = 1;
  expect(w.ct.in(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
  const c = skb.ct;
  expect(c).toBeGreaterThanOrEqual(0);
  const pre = { runNatTable: (s: Skb) => (opts.dnat ? w.nat.dnat(s, opts.dnat) : Verdict.ACCEPT) };
  const post = { runNatTable: (s: Skb) => (opts.masq ? w.nat.masquerade(s, opts.masq, 0) : Verdict.ACCEPT) };
  expect(w.nat.hookFn(skb, Hook.PRE_ROUTING, pre)).toBe(Verdict.ACCEPT);
  expect(w.nat.hookFn(skb, Hook.POST_ROUTING, post)).toBe(Verdict.ACCEPT);
  const reply = w.ct.getTuple(c, CtDir.REPLY, new Tuple());
  const verdict = w.ct.confirm(skb, opts.finish ?? (opts.now ?? 0) + 1);
  return { reply, verdict, skb, bytes: b };
}

const found = (ct: Conntrack, cpus = 1) => {
  let n = 0;
  for (let c = 0; c < cpus; c++) n += ct.stat(c, CtStat.FOUND);
  return n;
};

describe('real conntrack + NAT', () => {
  it('12-dnat-multi-backend: DNAT :8000-8002 gives 8000, 8001, 8002, 8000 and found = 0', () => {
    const w = world();
    const range = natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 8000, maxPort: 8002 });
    const got = [
      [41000, 9000],
      [41000, 9001],
      [41000, 9002],
      [41001, 9000],
    ].map(([sp, dp], i) => pass(w, tup('198.51.100.10', '198.51.100.1', sp!, dp!, IpProto.TCP), { dnat: range, now: i * 1000 }));
    expect(got.map((g) => g.verdict)).toEqual([Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT, Verdict.ACCEPT]);
    expect(got.map((g) => g.reply.sport)).toEqual([8000, 8001, 8002, 8000]);
    expect(found(w.ct)).toBe(0);
    // the packet itself now goes to the backend
    expect(got[1]!.skb.meta.daddr).toBe(ip('172.17.0.2'));
    expect(got[1]!.skb.meta.dport).toBe(8001);
  });

  it('05-same-sport-masq-default: first flow keeps 5000/6000, the others move; found = 5', () => {
    const w = world();
    const masq = natRangeFrom({});
    let now = 0;
    const udp = ['172.17.0.2', '172.17.0.3', '172.17.0.4', '172.18.0.2'].map((s) => pass(w, tup(s, '198.51.100.10', 5000, 9999, IpProto.UDP), { masq, now: (now += 1000) }));
    const tcp = ['172.17.0.2', '172.17.0.3', '172.17.0.4'].map((s) => pass(w, tup(s, '198.51.100.10', 6000, 80, IpProto.TCP), { masq, now: (now += 1000) }));
    expect(udp[0]!.reply).toEqual(tup('198.51.100.10', '198.51.100.1', 9999, 5000, IpProto.UDP));
    expect(tcp[0]!.reply.dport).toBe(6000);
    expect(new Set(udp.map((u) => u.reply.dport)).size).toBe(4);
    expect(new Set(tcp.map((u) => u.reply.dport)).size).toBe(3);
    expect(found(w.ct)).toBe(5);
    expect(udp[1]!.skb.meta.saddr).toBe(EXT);
  });

  it('two vCPUs less than the service time apart pick the same tuple; the later one loses at confirm', () => {
    const w = world(2, 5000);
    const masq = natRangeFrom({});
    const a = pass(w, tup('172.17.0.2', '198.51.100.10', 7000, 80, IpProto.TCP), { masq, vcpu: 0, now: 0, finish: 5000 });
    const b = pass(w, tup('172.17.0.3', '198.51.100.10', 7000, 80, IpProto.TCP), { masq, vcpu: 1, now: 1000, finish: 6000 });
    expect(a.reply.dport).toBe(7000);
    expect(b.reply.dport).toBe(7000); // vCPU 1 cannot see vCPU 0's entry before 5000
    expect(a.verdict).toBe(Verdict.ACCEPT);
    expect(b.verdict).toBe(Verdict.DROP);
    // a third flow after the first became visible moves away
    const c = pass(w, tup('172.17.0.4', '198.51.100.10', 7000, 80, IpProto.TCP), { masq, vcpu: 1, now: 7000, finish: 12000 });
    expect(c.reply.dport).not.toBe(7000);
    expect(c.verdict).toBe(Verdict.ACCEPT);
  });
});
