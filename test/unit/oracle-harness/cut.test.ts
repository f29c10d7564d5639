// The comparison of packets a capture holds only the start of (snaplen): the bytes both captures hold
// are compared, and the IP total length still is.
import { describe, expect, it } from 'vitest';
import { compareInterface, isCut, type PacketContext, type TxPacket } from '../../helpers/oracle-packets.js';

const ctx: PacketContext = { localAddrs: new Set(), receivedIcmp: null, portMap: [], baseNs: 0n };

/** A 200-byte IPv4/UDP packet (payload byte i = i), its first `keep` bytes captured. */
function packet(keep = 200, patch: (b: Uint8Array) => void = () => {}): TxPacket {
  const b = new Uint8Array(200);
  for (let i = 0; i < 200; i++) b[i] = i & 0xff;
  b.set([0x45, 0, 0, 200, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 0);
  patch(b);
  return { iface: 'eth0', index: 0, tsNs: 0n, ip: b.subarray(0, keep), origin: 'test' };
}

describe('packets cut by the snaplen', () => {
  it('knows a cut packet by its total length', () => {
    expect([isCut(packet(100).ip), isCut(packet().ip)]).toEqual([true, false]);
  });
  it('compares only the bytes both hold, whichever side is cut', () => {
    expect(compareInterface('eth0', [packet(100)], [packet()], ctx)).toBeNull();
    expect(compareInterface('eth0', [packet()], [packet(120)], ctx)).toBeNull();
  });
  it('still finds a difference inside the common bytes, and in the total length', () => {
    expect(compareInterface('eth0', [packet(100)], [packet(200, (b) => (b[60] = 0))], ctx)?.message).toMatch(/^byte 28 udp.payload/);
    const longer = packet(100, (b) => (b[3] = 210));
    expect(compareInterface('eth0', [longer], [packet()], ctx)?.message).toMatch(/ip\.len/);
  });
  it('without a cut, a missing tail is a difference', () => {
    const short = packet(200, (b) => (b[3] = 150));
    expect(compareInterface('eth0', [packet()], [{ ...short, ip: short.ip.subarray(0, 150) }], ctx)).not.toBeNull();
  });
});
