// NAT on hostile bytes: random packets (any header lengths, total lengths, protocols, truncations) attached
// to NATed entries in every ctinfo, through every NAT hook. Nothing may throw, and nothing may be written
// outside the captured bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tuple } from '../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../src/netfilter/nat/nat.js';
import { CtStatus, Hook } from '../../src/netfilter/skb.js';
import { Prng } from '../../src/util/prng.js';
import { FakeCt } from '../unit/nat/fake-ct.js';
import { metaFor, skbOn } from '../unit/nat/pkt-helpers.js';

const host = { masqueradeSource: () => 1, redirectAddress: () => 1 };

describe('NAT on hostile input', () => {
  it('never throws and never writes past the capture', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 120 }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(1, 6, 17, 132, 136, 33, 47, 99),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(Hook.PRE_ROUTING, Hook.LOCAL_IN, Hook.LOCAL_OUT, Hook.POST_ROUTING),
        (raw, cut, proto, ctinfo, hook) => {
          const bytes = new Uint8Array(raw.length + 16);
          bytes.set(raw);
          bytes[0] = 0x40 | (bytes[0]! & 0x0f);
          const caplen = Math.min(raw.length, Math.max(20, cut));
          const guard = bytes.slice(caplen);
          const ct = new FakeCt();
          const c = ct.addConfirmed(new Tuple(1, 2, 3, 4, proto), new Tuple(5, 6, 7, 8, proto), CtStatus.SRC_NAT | CtStatus.DST_NAT);
          const nat = new Nat({ conntrack: ct, prng: new Prng(3), host, extras: ct });
          const m = metaFor(bytes.subarray(0, raw.length), caplen);
          const skb = skbOn(m, c, ctinfo);
          expect(() => {
            nat.hookFn(skb, hook, null);
            nat.packet(skb, hook);
            nat.icmpReplyTranslation(skb, hook);
          }).not.toThrow();
          expect(bytes.slice(caplen)).toEqual(guard);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
