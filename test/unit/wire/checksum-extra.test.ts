// The checksum helpers added next to the original ones: the unrolled csumPartial against RFC 1071's own
// worked example (odd lengths included) and ipv4HeaderVerifies against known good and bad headers.

import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/util/bytes.js';
import { csumFold, csumPartial, ipv4HeaderVerifies } from '../../../src/wire/checksum.js';

describe('csumPartial', () => {
  it('RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0x2ddf0, checksum 0x220d', () => {
    const b = fromHex('0001f203f4f5f6f7');
    expect(csumPartial(b, 0, 8, 0)).toBe(0x2ddf0);
    expect(csumFold(csumPartial(b, 0, 8, 0))).toBe(0x220d);
  });

  it('odd lengths pad with a zero byte; the start sum is added; offsets are honoured', () => {
    const b = fromHex('ff 0001f2 03f4f5f6f7 ff');
    expect(csumPartial(b, 1, 3, 0)).toBe(0x0001 + 0xf200);
    expect(csumPartial(b, 1, 8, 5)).toBe(0x2ddf0 + 5);
    expect(csumPartial(b, 1, 9, 0)).toBe(0x2ddf0 + 0xff00);
    expect(csumPartial(b, 1, 0, 7)).toBe(7);
  });
});

describe('ipv4HeaderVerifies', () => {
  it('accepts the worked-example header and rejects a one-bit change', () => {
    const h = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    expect(ipv4HeaderVerifies(h, 0, 20)).toBe(true);
    h[19] ^= 1;
    expect(ipv4HeaderVerifies(h, 0, 20)).toBe(false);
  });

  it('covers options', () => {
    // IHL 6 with Router Alert, checksum 0xbf8e (tshark: good)
    const h = fromHex('46000024123400004011bf8e0a0000010a00000294040000');
    expect(ipv4HeaderVerifies(h, 0, 24)).toBe(true);
    h[22] = 1;
    expect(ipv4HeaderVerifies(h, 0, 24)).toBe(false);
  });
});
