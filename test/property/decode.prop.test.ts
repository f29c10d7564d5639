// Properties of decodeFrame: it never throws and never reads outside the captured bytes, whatever the
// bytes, offsets and lengths (random data for every link type, and mutated or cut valid frames); offsets it
// reports stay inside the capture; and a reused PacketMeta ends exactly as a fresh one would.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, Verify } from '../../src/decode/decode.js';
import { DecodeCounters } from '../../src/decode/counters.js';
import { PacketMeta } from '../../src/decode/meta.js';
import { LinkType } from '../../src/capture/types.js';
import { HEX, frame, type FrameName } from '../unit/decode/frames.js';

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 239, -1, 65536];

const FRAME_LINK: Record<FrameName, number> = Object.fromEntries(
  (Object.keys(HEX) as FrameName[]).map((k) => [
    k,
    k.startsWith('SLL2') ? LinkType.LINUX_SLL2 : k.startsWith('SLL') ? LinkType.LINUX_SLL : k.startsWith('IPV') ? LinkType.RAW : LinkType.ETHERNET,
  ]),
) as Record<FrameName, number>;
const NAMES = Object.keys(HEX) as FrameName[];

/** Every own field of a PacketMeta except the buffer reference. */
function fields(m: PacketMeta): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'data') out[k] = v as number;
  return out;
}

/** Offsets PacketMeta reports must point inside the captured bytes (or be -1). */
function checkOffsets(m: PacketMeta, capEnd: number): void {
  const inside = (off: number, len: number): void => {
    if (off >= 0) {
      expect(off).toBeGreaterThanOrEqual(m.frameOff);
      expect(off + len).toBeLessThanOrEqual(capEnd);
    }
  };
  inside(m.l4Off, 4);
  inside(m.tcpMssOff, 4);
  inside(m.tcpTsOff, 10);
  inside(m.innerL3Off, 20);
  if (m.innerL4Off >= 0) inside(m.innerL4Off, m.innerL4Avail);
  if (m.l3Off >= 0) expect(m.l3Off).toBeGreaterThanOrEqual(m.frameOff);
  if (m.event !== 0) expect(m.eventOffset).toBeGreaterThanOrEqual(m.frameOff);
}

describe('decodeFrame never throws', () => {
  it('on random bytes, for every link type, with hostile offsets and lengths', () => {
    const m = new PacketMeta();
    const c = new DecodeCounters();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(...LINK_TYPES),
        fc.integer({ min: -5, max: 320 }),
        fc.integer({ min: -5, max: 400 }),
        fc.integer({ min: -5, max: 70000 }),
        fc.integer({ min: 0, max: 3 }),
        (bytes, lt, off, caplen, wirelen, verify) => {
          decodeFrame(m, bytes, off, caplen, wirelen, lt, c, verify);
          if (off >= 0 && off <= bytes.length) checkOffsets(m, Math.min(bytes.length, off + Math.max(0, caplen)));
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('on valid frames with random bytes overwritten, cut short or snapped', () => {
    const m = new PacketMeta();
    const c = new DecodeCounters();
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 6 }),
        fc.nat(200),
        fc.boolean(),
        fc.nat(40),
        (name, edits, cut, snap, extraWire) => {
          const b = frame(name);
          for (const [at, v] of edits) b[at % b.length] = v;
          const len = Math.min(b.length, cut === 0 ? b.length : cut);
          const bytes = b.subarray(0, len);
          const wire = snap ? b.length + extraWire : len;
          decodeFrame(m, bytes, 0, len, wire, FRAME_LINK[name], c, Verify.ALL);
          checkOffsets(m, len);
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('on fully random lengths inside a large buffer (e.g. a capture chunk)', () => {
    const buf = new Uint8Array(4096);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
    const m = new PacketMeta();
    const c = new DecodeCounters();
    fc.assert(
      fc.property(fc.nat(4200), fc.nat(5000), fc.nat(70000), fc.constantFrom(...LINK_TYPES), (off, caplen, wirelen, lt) => {
        decodeFrame(m, buf, off, caplen, wirelen, lt, c);
        if (off <= buf.length) checkOffsets(m, Math.min(buf.length, off + caplen));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('a reused PacketMeta', () => {
  it('ends exactly as a fresh one after decoding the next packet', () => {
    const reused = new PacketMeta();
    const c = new DecodeCounters();
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.constantFrom(...NAMES),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 3 }),
        fc.nat(120),
        (first, second, edits, cut) => {
          const a = frame(first);
          decodeFrame(reused, a, 0, a.length, a.length, FRAME_LINK[first], c);
          const b = frame(second);
          for (const [at, v] of edits) b[at % b.length] = v;
          const len = cut === 0 ? b.length : Math.min(b.length, cut);
          decodeFrame(reused, b, 0, len, b.length, FRAME_LINK[second], c);
          const fresh = new PacketMeta();
          decodeFrame(fresh, b, 0, len, b.length, FRAME_LINK[second], c);
          expect(fields(reused)).toEqual(fields(fresh));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
