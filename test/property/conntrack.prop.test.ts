import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tuple, invertTuple } from '../../src/netfilter/conntrack/api.js';
import { createConntrack } from '../../src/netfilter/conntrack/conntrack.js';
import { NONE, Verdict } from '../../src/netfilter/skb.js';
import { formatIpv4 } from '../../src/util/ipv4.js';
import { skbOf, tcp, udp, F } from '../unit/conntrack/pkt.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

describe('conntrack properties', () => {
  it('inverting a tuple twice gives it back (ports; ICMP request/reply types)', () => {
    fc.assert(
      fc.property(u32, u32, u16, u16, fc.constantFrom(6, 17, 47, 132, 136), (src, dst, sp, dp, proto) => {
        const t = new Tuple(src, dst, sp, dp, proto);
        const r = new Tuple();
        const back = new Tuple();
        expect(invertTuple(t, r)).toBe(true);
        expect(invertTuple(r, back)).toBe(true);
        expect(back.equals(t)).toBe(true);
        expect(r.equals(t)).toBe(src === dst && sp === dp);
      }),
    );
    fc.assert(
      fc.property(u32, u32, u16, fc.constantFrom(0, 8, 13, 14, 15, 16, 17, 18), fc.integer({ min: 0, max: 255 }), (src, dst, id, type, code) => {
        const t = new Tuple(src, dst, id, (type << 8) | code, 1);
        const r = new Tuple();
        const back = new Tuple();
        expect(invertTuple(t, r) && invertTuple(r, back)).toBe(true);
        expect(back.equals(t)).toBe(true);
        expect(r.icmpType).not.toBe(type);
      }),
    );
  });

  it('every confirmed entry is found from both directions, and only there', () => {
    // sources in 10.0/16 and destinations in 192.168/16 keep ORIGINAL and REPLY tuples apart
    const flowArb = fc.record({ s: fc.integer({ min: 1, max: 0xfffe }), d: fc.integer({ min: 1, max: 0xfffe }), sp: fc.integer({ min: 1, max: 65535 }), dp: fc.integer({ min: 1, max: 65535 }), tcp: fc.boolean() });
    fc.assert(
      fc.property(fc.uniqueArray(flowArb, { minLength: 1, maxLength: 60, selector: (f) => `${f.s}:${f.sp}` }), fc.integer({ min: 1, max: 64 }), (flows, buckets) => {
        const ct = createConntrack({ sysctls: { conntrackMax: 128, conntrackBuckets: buckets } });
        const ids: number[] = [];
        flows.forEach((f, i) => {
          const src = formatIpv4((10 << 24) | f.s);
          const dst = formatIpv4(((192 << 24) | (168 << 16) | f.d) >>> 0);
          const bytes = f.tcp ? tcp(src, f.sp, dst, f.dp, { flags: F.SYN, seq: 1 }) : udp(src, f.sp, dst, f.dp);
          const p = skbOf(bytes, i * 1000);
          expect(ct.in(p, 0)).toBe(Verdict.ACCEPT);
          expect(ct.confirm(p, p.nowNs)).toBe(Verdict.ACCEPT);
          ids.push(p.ct);
        });
        expect(new Set(ids).size).toBe(flows.length);
        expect(ct.count()).toBe(flows.length);
        const t = new Tuple();
        const viewer = { vcpu: 0, nowNs: flows.length * 1000 };
        ids.forEach((id) => {
          expect(ct.findHash(ct.getTuple(id, 0, t), viewer)).toBe(id * 2);
          expect(ct.findHash(ct.getTuple(id, 1, t), viewer)).toBe(id * 2 + 1);
          // a tuple nobody uses
          t.sport ^= 0x8000;
          t.src = 0x7f000001;
          expect(ct.findHash(t, viewer)).toBe(-1);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('no entry leaks: released and dropped packets free their entries, runs are deterministic', () => {
    const op = fc.record({ flow: fc.integer({ min: 0, max: 20 }), vcpu: fc.integer({ min: 0, max: 1 }), dt: fc.integer({ min: 0, max: 20_000 }), confirm: fc.boolean(), reply: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), fc.integer({ min: 4, max: 24 }), fc.integer({ min: 1, max: 8 }), (ops, max, buckets) => {
        const run = () => {
          const ct = createConntrack({ cpus: 2, serviceNs: 10_000, sysctls: { conntrackMax: max, conntrackBuckets: buckets, conntrackAcct: 1 } });
          let now = 0;
          for (const o of ops) {
            now += o.dt;
            const bytes = o.reply ? udp('198.51.100.10', 9999, '172.17.0.2', 5000 + o.flow) : udp('172.17.0.2', 5000 + o.flow, '198.51.100.10', 9999);
            const p = skbOf(bytes, now, o.vcpu);
            const v = ct.in(p, 0);
            if (v !== Verdict.ACCEPT || p.ct === NONE) continue;
            if (o.confirm) ct.confirm(p, now + 10_000);
            else ct.release(p);
          }
          return { ct, now };
        };
        const { ct, now } = run();
        // nothing unconfirmed is left behind and every live entry is listed (nothing expired within 3 s)
        expect(now).toBeLessThan(30e9);
        expect(ct.count()).toBe(ct.dump(now).length);
        expect(ct.count()).toBeLessThanOrEqual(max);
        expect(ct.table.highWater()).toBeLessThanOrEqual(ct.capacity);
        // same inputs → same table and statistics
        const again = run().ct;
        expect(JSON.stringify(again.dump(now))).toBe(JSON.stringify(ct.dump(now)));
        expect(again.stats.toJSON()).toEqual(ct.stats.toJSON());
      }),
      { numRuns: 80 },
    );
  });
});
