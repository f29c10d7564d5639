import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4Offset, LINK_ETHERNET, LINK_SLL2, readCapture, writeCapture } from '../../helpers/oracle-pcap.js';
import { kernelTxFromAny } from '../../helpers/oracle-packets.js';
import { scenarioInfo } from '../../helpers/oracle.js';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures', 'oracle', 'captures');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-pcap-'));
}

describe('oracle harness: capture I/O', () => {
  it('writes and reads back a nanosecond pcap exactly', () => {
    const p = path.join(tmp(), 'a.pcap');
    const frames = [
      { tsNs: 1_700_000_000_123_456_789n, data: Uint8Array.from([1, 2, 3]) },
      { tsNs: 1_700_000_001_000_000_001n, data: new Uint8Array(60).fill(7) },
    ];
    writeCapture(p, LINK_ETHERNET, frames);
    expect(fs.statSync(p).size).toBe(24 + 16 + 3 + 16 + 60);
    const back = readCapture(p);
    expect(back.map((f) => [f.tsNs, f.linkType, Array.from(f.data)])).toEqual(frames.map((f) => [f.tsNs, 1, Array.from(f.data)]));
  });

  it('reads a hand-made pcapng: interface names, ns resolution, direction flags', () => {
    // SHB (28) + IDB with if_name "eth0" and if_tsresol 9 (20 + 8 + 8 + 4) + EPB with epb_flags=2 (outbound)
    const b = Buffer.alloc(28 + 40 + 48);
    b.writeUInt32LE(0x0a0d0d0a, 0); b.writeUInt32LE(28, 4); b.writeUInt32LE(0x1a2b3c4d, 8);
    b.writeUInt16LE(1, 12); b.writeBigInt64LE(-1n, 16); b.writeUInt32LE(28, 24);
    let o = 28;
    b.writeUInt32LE(1, o); b.writeUInt32LE(40, o + 4); b.writeUInt16LE(LINK_ETHERNET, o + 8); b.writeUInt32LE(0, o + 12);
    b.writeUInt16LE(2, o + 16); b.writeUInt16LE(4, o + 18); b.write('eth0', o + 20);
    b.writeUInt16LE(9, o + 24); b.writeUInt16LE(1, o + 26); b.writeUInt8(9, o + 28);
    b.writeUInt32LE(0, o + 32); b.writeUInt32LE(40, o + 36);
    o += 40;
    b.writeUInt32LE(6, o); b.writeUInt32LE(48, o + 4); b.writeUInt32LE(0, o + 8);
    const ts = 1_700_000_000_000_000_005n;
    b.writeUInt32LE(Number(ts >> 32n), o + 12); b.writeUInt32LE(Number(ts & 0xffffffffn), o + 16);
    b.writeUInt32LE(4, o + 20); b.writeUInt32LE(4, o + 24); b.write('abcd', o + 28);
    b.writeUInt16LE(2, o + 32); b.writeUInt16LE(4, o + 34); b.writeUInt32LE(2, o + 36);
    b.writeUInt32LE(0, o + 40); b.writeUInt32LE(48, o + 44);
    const p = path.join(tmp(), 'a.pcapng');
    fs.writeFileSync(p, b);
    const [f, ...rest] = readCapture(p);
    expect(rest).toEqual([]);
    expect(f!.interfaceName).toBe('eth0');
    expect(f!.tsNs).toBe(ts);
    expect(f!.direction).toBe(2);
    expect(Buffer.from(f!.data).toString()).toBe('abcd');
  });

  it('reads SLL2 ifindex, packet type and source address; finds the IPv4 header in each link type', () => {
    // SLL2: proto 0x0800, ifindex 2, ARPHRD 1, pkttype 4, addr len 6, MAC 02:00:c6:33:64:01, then IPv4
    const sll2 = Uint8Array.from([8, 0, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0xc6, 0x33, 0x64, 1, 0, 0, 0x45, 0]);
    const p = path.join(tmp(), 'sll2.pcap');
    writeCapture(p, LINK_SLL2, [{ tsNs: 0n, data: sll2 }]);
    const [f] = readCapture(p);
    expect([f!.ifIndex, f!.pktType, f!.sllAddr]).toEqual([2, 4, '02:00:c6:33:64:01']);
    expect(ipv4Offset(LINK_SLL2, sll2)).toBe(20);
    const vlan = Uint8Array.from([...new Array(12).fill(0), 0x81, 0, 0, 5, 8, 0, 0x45, 0]);
    expect(ipv4Offset(LINK_ETHERNET, vlan)).toBe(18);
    const arp = Uint8Array.from([...new Array(12).fill(0), 8, 6, 0, 1]);
    expect(ipv4Offset(LINK_ETHERNET, arp)).toBe(-1);
  });

  it('takes the kernel TX of a recording from host-any.pcap as tshark counts it', () => {
    // capinfos -c 10-reject/host-any.pcap: 42 packets; tshark -Y 'sll.pkttype == 4 && ip' per sll.ifindex:
    // 2 (eth0) 5, 3 (docker0) 3, 6 (vethc2) 7
    const dir = path.join(FIX, '10-reject');
    expect(readCapture(path.join(dir, 'host-any.pcap'))).toHaveLength(42);
    const tx = kernelTxFromAny(path.join(dir, 'host-any.pcap'), scenarioInfo(dir).ifNames);
    expect([...tx].map(([i, l]) => [i, l.length]).sort()).toEqual([['docker0', 3], ['eth0', 5], ['vethc2', 7]]);
  });
});
