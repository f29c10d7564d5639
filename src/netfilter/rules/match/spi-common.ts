// Shared by the SPI matches (-m ah, -m esp, -m ipcomp): the `spi[:spi]` option (XTTYPE_UINT32RC), its save
// form (omitted when it is the full range and not negated), and reading the SPI from the packet's header.

import type { MatchModule } from '../module.js';
import type { Skb } from '../../skb.js';
import { noState, uintRangeOr } from '../mod-util.js';
import { rangeText } from '../values.js';

/** An SPI (or CPI) range with its `!`. */
export interface SpiData {
  min: number;
  max: number;
  invert: boolean;
}

/** HOT: be32 or be16 at `at` bytes into the L4 header; -1 when the packet is too short (header unreadable). */
function readSpi(skb: Skb, at: number, width: number, hdrLen: number): number {
  const m = skb.meta;
  if (m.l4Off < 0 || m.l4Len < hdrLen) return -1;
  const o = m.l4Off + at;
  if (o + width > m.frameOff + m.caplen) return -2;
  const d = m.data;
  return width === 4 ? ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0 : (d[o]! << 8) | d[o + 1]!;
}

/**
 * A match module for one SPI-carrying protocol: `name` (-m), `opt` (--opt), IP protocol, where the SPI sits in
 * its header and the header size the kernel reads (skb_header_pointer; unreadable → hotdrop).
 */
export function spiModule(name: string, opt: string, proto: number, at: number, width: 2 | 4, hdrLen: number): MatchModule<SpiData, null> {
  return {
    kind: 'match',
    name,
    family: 0,
    proto,
    options: [{ name: opt, args: 1, invert: true }],
    init: () => ({ min: 0, max: 0xffffffff, invert: false }),
    parse(d, o, ctx) {
      const [lo, hi] = uintRangeOr(ctx, o.value, 0, 0xffffffff);
      d.min = lo;
      d.max = hi;
      d.invert = o.invert;
    },
    finish() {},
    print: (d) => (d.min === 0 && d.max === 0xffffffff && !d.invert ? '' : `${d.invert ? '! ' : ''}--${opt} ${rangeText(d.min, d.max)}`),
    createState: noState,
    // HOT: esp_mt / ah_mt / comp_mt
    match(d, skb, env) {
      if (skb.meta.fragOffset !== 0) return false;
      const spi = readSpi(skb, at, width, hdrLen);
      if (spi === -1) {
        env.hotdrop = 1;
        return false;
      }
      if (spi < 0) return false;
      return (spi >= d.min && spi <= d.max) !== d.invert;
    },
  };
}
