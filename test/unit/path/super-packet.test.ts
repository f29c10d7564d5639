// Which received packets are GRO/TSO super-packets (Pkt.gso): whole TCP/UDP packets longer than the MTU
// of the device they came in on.
import { describe, expect, it } from 'vitest';
import { superPacket } from '../../../src/engine/ingress.js';
import { decodeAt, writeTcp } from '../../helpers/ipv4-packets.js';

describe('superPacket', () => {
  const tcp = (payload: number, df = true) => {
    const b = new Uint8Array(4096);
    return decodeAt(b, 0, writeTcp(b, 0, { flags: 0x18, payload, df }));
  };
  it('is a TCP packet longer than the input MTU, not one that fits', () => {
    expect(superPacket(tcp(3000), 1500)).toBe(1);
    expect(superPacket(tcp(1460), 1500)).toBe(0);
    expect(superPacket(tcp(3000), 9000)).toBe(0);
  });
  it('is never a fragment or a protocol without segmentation offload', () => {
    const frag = tcp(3000);
    frag.moreFrags = 1;
    expect(superPacket(frag, 1500)).toBe(0);
    const icmp = tcp(3000);
    icmp.ipProto = 1;
    expect(superPacket(icmp, 1500)).toBe(0);
  });
});
