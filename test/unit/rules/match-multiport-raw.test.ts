// -m multiport reads the first four bytes of whatever transport header follows the IP header, as
// multiport_mt's skb_header_pointer does: DCCP (which the decoder leaves alone) and a TCP header too short
// for the tcp match still have their ports; only a packet without four transport bytes is dropped.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf } from './helpers.js';
import { rawSkb } from './raw-ipv4.js';

const DCCP = 33;
const TCP = 6;
/** A DCCP request header: ports 40000 -> 5001, data offset 4 words, type REQUEST, X=1. */
const dccp = [0x9c, 0x40, 0x13, 0x89, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

describe('multiport on headers the decoder does not decode', () => {
  it('matches DCCP ports', () => {
    const env = new TestMatchEnv();
    const m = matchOf('-p dccp -m multiport --dports 5000:5002,6000', 'filter', 'FORWARD');
    expect(evalMatch(m, rawSkb({ proto: DCCP, l4: dccp }), env)).toBe(true);
    expect(env.hotdrop).toBe(0);
    const src = matchOf('-p dccp -m multiport --sports 40000', 'filter', 'FORWARD');
    expect(evalMatch(src, rawSkb({ proto: DCCP, l4: dccp }), env)).toBe(true);
    const other = matchOf('-p dccp -m multiport --dports 7000', 'filter', 'FORWARD');
    expect(evalMatch(other, rawSkb({ proto: DCCP, l4: dccp }), env)).toBe(false);
  });

  it('reads the ports of a TCP header cut short, and drops a packet without four transport bytes', () => {
    const m = matchOf('-p tcp -m multiport --dports 80', 'filter', 'FORWARD');
    const env = new TestMatchEnv();
    expect(evalMatch(m, rawSkb({ proto: TCP, l4: [0x30, 0x39, 0, 80, 0, 0, 0, 1] }), env)).toBe(true);
    expect(env.hotdrop).toBe(0);
    const short = new TestMatchEnv();
    expect(evalMatch(m, rawSkb({ proto: TCP, l4: [0x30, 0x39, 0] }), short)).toBe(false);
    expect(short.hotdrop).toBe(1);
  });

  it('cannot match ports the capture did not keep', () => {
    const env = new TestMatchEnv();
    const m = matchOf('-p dccp -m multiport --dports 5001', 'filter', 'FORWARD');
    expect(evalMatch(m, rawSkb({ proto: DCCP, l4: dccp, snap: 22 }), env)).toBe(false);
    expect(env.hotdrop).toBe(0);
  });
});
