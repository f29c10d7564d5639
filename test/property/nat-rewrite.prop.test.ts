// Properties of nf_nat_packet's header rewrite on random IPv4 packets (IP and TCP options, TCP/UDP/ICMP
// echo, UDP with and without checksum): incremental checksums equal a full RFC 1071 recompute, PacketMeta
// matches a fresh decode of the rewritten bytes, and rewriting back restores the exact original bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../src/decode/meta.js';
import { Tuple } from '../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../src/netfilter/nat/nat.js';
import { CtInfo, CtStatus, Hook, Verdict } from '../../src/netfilter/skb.js';
import { Prng } from '../../src/util/prng.js';
import { FakeCt } from '../unit/nat/fake-ct.js';
import { build, pktSpec, u16, u32, type PktSpec } from '../unit/nat/gen.js';
import { metaFor, pseudo, rfc1071, skbOn, toHexString } from '../unit/nat/pkt-helpers.js';

const host = { masqueradeSource: () => 0, redirectAddress: () => 0 };

/** The packet's own tuple (ICMP echo: id in sport, type << 8 in dport). */
function tupleOf(s: PktSpec, src: number, dst: number, sport: number, dport: number): Tuple {
  return s.proto === IpProto.ICMP ? new Tuple(src, dst, sport, 8 << 8, s.proto) : new Tuple(src, dst, sport, dport, s.proto);
}

/** An entry for a packet (src,dst,sport,dport) whose SRC or DST side maps to (addr, port). */
function entry(ct: FakeCt, s: PktSpec, src: number, dst: number, sport: number, dport: number, manip: 'SRC' | 'DST', addr: number, port: number): number {
  const orig = tupleOf(s, src, dst, sport, dport);
  const icmp = s.proto === IpProto.ICMP;
  const reply =
    manip === 'SRC'
      ? icmp
        ? new Tuple(dst, addr, port, 0, s.proto)
        : new Tuple(dst, addr, dport, port, s.proto)
      : icmp
        ? new Tuple(addr, src, port, 0, s.proto)
        : new Tuple(addr, src, port, sport, s.proto);
  return ct.addConfirmed(orig, reply, manip === 'SRC' ? CtStatus.SRC_NAT : CtStatus.DST_NAT);
}

function nat(ct: FakeCt): Nat {
  return new Nat({ conntrack: ct, prng: new Prng(1), host, extras: ct });
}

const l4Off = (b: Uint8Array) => (b[0]! & 15) * 4;
const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** The L4 checksum a sender would compute now, in the form it would be stored. */
function fullL4(b: Uint8Array, proto: number): number {
  const o = l4Off(b);
  const c = b.slice();
  if (proto === IpProto.TCP) {
    c[o + 16] = 0;
    c[o + 17] = 0;
    return rfc1071(c, o, c.length, pseudo(c));
  }
  if (proto === IpProto.UDP) {
    c[o + 6] = 0;
    c[o + 7] = 0;
    const v = rfc1071(c, o, c.length, pseudo(c));
    return v === 0 ? 0xffff : v;
  }
  c[o + 2] = 0;
  c[o + 3] = 0;
  return rfc1071(c, o, c.length);
}

const csumAt = (proto: number) => (proto === IpProto.TCP ? 16 : proto === IpProto.UDP ? 6 : 2);

describe('nf_nat_packet rewrite properties', () => {
  it('incremental checksums equal a full recompute; PacketMeta equals a fresh decode; rewriting back restores the bytes', () => {
    fc.assert(
      fc.property(pktSpec, fc.constantFrom<'SRC' | 'DST'>('SRC', 'DST'), u32, u16, (s, manip, addr, port) => {
        const spec = { ...s, icmpType: 8 };
        const orig = build(spec);
        const b = orig.slice();
        const ct = new FakeCt();
        const n = nat(ct);
        const hook = manip === 'SRC' ? Hook.POST_ROUTING : Hook.PRE_ROUTING;
        const fwd = entry(ct, spec, s.src, s.dst, s.sport, s.dport, manip, addr, port);
        const m = metaFor(b);
        expect(n.packet(skbOn(m, fwd, CtInfo.ESTABLISHED), hook)).toBe(Verdict.ACCEPT);

        // checksums: the IP header verifies and equals a recompute; L4 as a sender would store it
        const o = l4Off(b);
        expect(rfc1071(b, 0, o)).toBe(0);
        const stored = be16(b, o + csumAt(s.proto));
        if (s.proto === IpProto.UDP && s.udpNoCsum) expect(stored).toBe(0);
        else expect(stored).toBe(fullL4(b, s.proto));

        // PacketMeta carries the new header values
        const fresh = metaFor(b);
        expect([m.saddr, m.daddr, m.ipCsum]).toEqual([fresh.saddr, fresh.daddr, fresh.ipCsum]);
        if (s.proto === IpProto.ICMP) expect(m.icmpId).toBe(fresh.icmpId);
        else expect([m.sport, m.dport]).toEqual([fresh.sport, fresh.dport]);
        if (!(s.proto === IpProto.UDP && s.udpNoCsum)) expect(m.l4Csum).toBe(stored);

        // back: an entry mapping the rewritten side to the original values
        const [src2, dst2] = manip === 'SRC' ? [addr, s.dst] : [s.src, addr];
        const icmp = s.proto === IpProto.ICMP;
        const [sp2, dp2] = manip === 'SRC' ? [port, s.dport] : icmp ? [port, s.dport] : [s.sport, port];
        const back = entry(ct, spec, src2, dst2, icmp ? port : sp2, dp2, manip, manip === 'SRC' ? s.src : s.dst, icmp ? s.sport : manip === 'SRC' ? s.sport : s.dport);
        expect(n.packet(skbOn(metaFor(b), back, CtInfo.ESTABLISHED), hook)).toBe(Verdict.ACCEPT);
        expect(toHexString(b)).toBe(toHexString(orig));
      }),
      { numRuns: 400 },
    );
  });
});
