// pcap and pcapng writers: exact bytes against hand-written literals, what tshark and capinfos read back,
// writer -> reader round trips, and the all-or-nothing file contract (AtomicFileWriter).

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { UsageError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import { PcapWriter } from '../../../src/capture/pcap-writer.js';
import { PcapngWriter } from '../../../src/capture/pcapng-writer.js';
import { bytes, readAll, tempDir, thrown } from './build.js';
import { runTool, tsharkFields } from './tools.js';

const dir = tempDir('writers');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const out = (ext: string): string => path.join(dir, `out${++n}.${ext}`);

describe('pcap writer', () => {
  it('writes the exact little-endian µs bytes', () => {
    const p = out('pcap');
    const w = new PcapWriter(p, { linkType: 1, snaplen: 65535 });
    w.writePacket(fromHex('deadbeef'), 0, 4, 60, 1600000000, 123456789);
    w.writePacket(fromHex('00cafe00'), 1, 2, 2, 1600000001, 999999999);
    w.close();
    expect(toHex(fs.readFileSync(p))).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000' +
        '00105e5f' + '40e20100' + '04000000' + '3c000000' + 'deadbeef' +
        '01105e5f' + '3f420f00' + '02000000' + '02000000' + 'cafe',
    );
  });

  it('writes the exact big-endian ns bytes and cuts records to the snaplen', () => {
    const p = out('pcap');
    const w = new PcapWriter(p, { linkType: 101, snaplen: 2, nanosecond: true, bigEndian: true });
    w.writePacket(fromHex('450000'), 0, 3, 3, 1600000000, 123456789);
    w.close();
    expect(toHex(fs.readFileSync(p))).toBe(
      'a1b23c4d' + '0002' + '0004' + '00000000' + '00000000' + '00000002' + '00000065' + '5f5e1000' + '075bcd15' + '00000002' + '00000003' + '4500',
    );
    expect(w.packets).toBe(1);
  });

  it('produces files capinfos and tshark read with the same packets', () => {
    const p = out('pcap');
    const w = new PcapWriter(p, { linkType: 1, nanosecond: true });
    for (let i = 0; i < 5; i++) w.writePacket(bytes(60 + i, i), 0, 60 + i, 100 + i, 1700000000 + i, i * 111111111);
    w.close();
    const info = runTool('capinfos', ['-M', '-c', '-E', '-i', p]);
    expect(info).toMatch(/Number of packets:\s+5\b/);
    expect(info).toMatch(/File encapsulation:\s+ether\b/);
    expect(tsharkFields(p, ['frame.time_epoch', 'frame.cap_len', 'frame.len'])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`${1700000000 + i}.${String(i * 111111111).padStart(9, '0')}`, `${60 + i}`, `${100 + i}`]),
    );
  });

  it('round-trips through the reader in both byte orders and resolutions', () => {
    for (const nanosecond of [false, true]) {
      for (const bigEndian of [false, true]) {
        const p = out('pcap');
        const w = new PcapWriter(p, { linkType: 113, nanosecond, bigEndian });
        const frames = [bytes(16, 1), bytes(100, 2), bytes(1, 3)];
        frames.forEach((f, i) => w.writePacket(f, 0, f.length, f.length + i, 1000 + i, 123456789 * i % 1e9));
        w.close();
        const recs = readAll(openCapture([p]));
        expect(recs.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.origLen, r.linkType])).toEqual(
          frames.map((f, i) => [1000 + i, nanosecond ? (123456789 * i) % 1e9 : Math.floor(((123456789 * i) % 1e9) / 1000) * 1000, f.length, f.length + i, 113]),
        );
        expect(recs.map((r) => r.bytes)).toEqual(frames.map((f) => Array.from(f)));
      }
    }
  });

  it('validates its options and timestamps', () => {
    expect(() => new PcapWriter(out('pcap'), { linkType: -1 })).toThrow(UsageError);
    expect(() => new PcapWriter(out('pcap'), { linkType: 1, snaplen: 0 })).toThrow(UsageError);
    const w = new PcapWriter(out('pcap'), { linkType: 1 });
    expect(() => w.writePacket(bytes(4), 0, 4, 4, -1, 0)).toThrow(UsageError);
    expect(() => w.writePacket(bytes(4), 0, 4, 4, 1, 1e9)).toThrow(UsageError);
    w.abort();
  });
});

describe('pcapng writer', () => {
  it('writes the exact bytes of a section, an interface and a packet with flags and comment', () => {
    const p = out('pcapng');
    const w = new PcapngWriter(p, { interfaces: [{ linkType: 1, name: 'eth0' }] });
    w.writePacket(0, fromHex('450000'), 0, 3, 60, 1600000000, 123456789, 2, 'drop');
    w.close();
    expect(toHex(fs.readFileSync(p))).toBe(
      // SHB: BOM, 1.0, length -1, shb_userappl "nfreplay", end
      '0a0d0d0a2c000000' + '4d3c2b1a' + '0100' + '0000' + 'ffffffffffffffff' + '0400' + '0800' + '6e667265706c6179' + '00000000' + '2c000000' +
        // IDB: Ethernet, snaplen 262144, if_name "eth0", if_tsresol 9, end
        '0100000028000000' + '0100' + '0000' + '00000400' + '0200' + '0400' + '65746830' + '0900' + '0100' + '09000000' + '00000000' + '28000000' +
        // EPB: if 0, ts 1600000000123456789 ns, 3 of 60 bytes, epb_flags outbound, opt_comment "drop", end
        '0600000038000000' + '00000000' + '85573416' + '15cdfbdf' + '03000000' + '3c000000' + '45000000' + '0200' + '0400' + '02000000' + '0100' + '0400' + '64726f70' + '00000000' + '38000000',
    );
  });

  it('produces files tshark reads with interfaces, directions and comments', () => {
    const p = out('pcapng');
    const w = new PcapngWriter(p, {
      interfaces: [
        { linkType: 1, name: 'eth0', description: 'uplink' },
        { linkType: 1, name: 'docker0', tsResolution: 'us' },
      ],
    });
    w.writePacket(0, bytes(60), 0, 60, 60, 1700000000, 123456789, 1, 'DROP by filter:FORWARD:rule 3');
    w.writePacket(1, bytes(61), 0, 61, 61, 1700000001, 123456789, 2, null);
    w.writePacket(0, bytes(62), 0, 62, 90, 1700000002, 5, 0, 'ünïcödé ✓');
    w.close();
    expect(tsharkFields(p, ['frame.interface_name', 'frame.time_epoch', 'frame.packet_flags_direction', 'frame.comment', 'frame.cap_len', 'frame.len'])).toEqual([
      ['eth0', '1700000000.123456789', '0x00000001', 'DROP by filter:FORWARD:rule 3', '60', '60'],
      ['docker0', '1700000001.123456000', '0x00000002', '', '61', '61'],
      ['eth0', '1700000002.000000005', '', 'ünïcödé ✓', '62', '90'],
    ]);
    expect(runTool('capinfos', ['-M', p])).toMatch(/Number of packets:\s+3\b/);
  });

  it('round-trips through the reader with several interfaces, directions and comments', () => {
    const p = out('pcapng');
    const w = new PcapngWriter(p, { interfaces: [{ linkType: 1, name: 'a' }], comment: 'section' });
    const b = w.addInterface({ linkType: 276, name: 'b', tsResolution: 'us', snaplen: 8 });
    const sll2 = fromHex('0800 0000 00000009 0001 04 06 0200000000010000 4500');
    w.writePacket(0, bytes(64, 1), 0, 64, 64, 10, 1, 0, null);
    w.writePacket(b, sll2, 0, sll2.length, sll2.length, 11, 999999999, 0, 'x');
    w.writePacket(0, bytes(3, 2), 0, 3, 3, 12, 2, 1, 'yy');
    w.close();
    const c = openCapture([p]);
    const recs = readAll(c);
    expect(recs.map((r) => [r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.caplen, r.origLen, r.direction, r.comment])).toEqual([
      [0, 1, 10, 1, 64, 64, 0, null],
      [1, 276, 11, 999999000, 8, 22, 0, 'x'], // cut to the snaplen 8: SLL2 ifindex readable, packet type not
      [0, 1, 12, 2, 3, 3, 1, 'yy'],
    ]);
    expect(recs[1]!.ifIndex).toBe(9);
    expect(c.interfaces().map((i) => [i.name, i.linkType, i.snaplen, i.tsUnitsPerSec])).toEqual([
      ['a', 1, 262144, 1e9],
      ['b', 276, 8, 1e6],
    ]);
  });

  it('rejects unknown interfaces, oversized comments and bad options', () => {
    const w = new PcapngWriter(out('pcapng'));
    expect(() => w.writePacket(0, bytes(4), 0, 4, 4, 1, 0)).toThrow(UsageError);
    w.addInterface({ linkType: 1 });
    expect(() => w.writePacket(0, bytes(4), 0, 4, 4, 1, 0, 0, 'x'.repeat(70000))).toThrow(UsageError);
    expect(() => w.addInterface({ linkType: 70000 })).toThrow(UsageError);
    w.abort();
  });
});

describe('writers are all or nothing', () => {
  it('shows nothing at the target before close, and the whole file after', () => {
    const p = out('pcap');
    const w = new PcapWriter(p, { linkType: 1 });
    for (let i = 0; i < 5000; i++) w.writePacket(bytes(600, i), 0, 600, 600, i, 0);
    expect(fs.existsSync(p)).toBe(false);
    w.close();
    expect(fs.statSync(p).size).toBe(24 + 5000 * 616);
    expect(readAll(openCapture([p]))).toHaveLength(5000);
  });

  it('leaves nothing behind on abort and keeps an existing target as it was', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'abort-'));
    const p = path.join(sub, 'x.pcapng');
    fs.writeFileSync(p, 'previous');
    const w = new PcapngWriter(p, { interfaces: [{ linkType: 1 }] });
    for (let i = 0; i < 3000; i++) w.writePacket(0, bytes(700), 0, 700, 700, i, 0);
    w.abort();
    expect(fs.readdirSync(sub)).toEqual(['x.pcapng']);
    expect(fs.readFileSync(p, 'utf8')).toBe('previous');
    expect(thrown(() => w.writePacket(0, bytes(4), 0, 4, 4, 1, 0))).toBeInstanceOf(Error);
  });
});
