// The inspect report over small capture files written here from the libpcap format (independently of the
// capture writers): counts, bytes, time span, protocol mix, flows, events, checksums, link types nfreplay
// cannot decode, several files and their total, the text rendering, and a file that cannot be read.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectCaptures } from '../../../src/report/inspect-run.js';
import { renderInspect } from '../../../src/report/inspect-render.js';
import { formatTime, timeDiff } from '../../../src/report/inspect-time.js';
import { CaptureFormatError } from '../../../src/util/errors.js';
import { frame } from '../decode/frames.js';

interface Rec {
  sec: number;
  usec: number;
  bytes: Uint8Array;
  caplen?: number;
}

/** A little-endian microsecond pcap (libpcap savefile format). */
function pcap(linkType: number, recs: Rec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint32(0, 0xa1b2c3d4, true);
  hdr.setUint16(4, 2, true);
  hdr.setUint16(6, 4, true);
  hdr.setUint32(16, 65535, true);
  hdr.setUint32(20, linkType, true);
  parts.push(new Uint8Array(hdr.buffer));
  for (const r of recs) {
    const cap = r.caplen ?? r.bytes.length;
    const h = new DataView(new ArrayBuffer(16));
    h.setUint32(0, r.sec, true);
    h.setUint32(4, r.usec, true);
    h.setUint32(8, cap, true);
    h.setUint32(12, r.bytes.length, true);
    parts.push(new Uint8Array(h.buffer), r.bytes.subarray(0, cap));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfreplay-inspect-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
function write(name: string, data: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

const ihl4 = frame('ETH_IPV4_UDP');
ihl4[14] = 0x44;
const badTcp = frame('ETH_IPV4_TCP_ACK_TS');
badTcp[badTcp.length - 1]! ^= 1;

// 10 frames, 594 bytes on the wire, 590 captured; the second timestamp runs backwards
const MIXED: Rec[] = [
  { sec: 1000, usec: 500000, bytes: frame('ETH_IPV4_TCP_SYN') },
  { sec: 1000, usec: 250000, bytes: frame('ETH_IPV4_TCP_ACK_TS') },
  { sec: 1001, usec: 0, bytes: frame('ETH_IPV4_UDP') },
  { sec: 1001, usec: 1, bytes: frame('ETH_IPV4_ICMP_ECHO') },
  { sec: 1001, usec: 2, bytes: frame('ETH_IPV4_ICMP_UNREACH_UDP') },
  { sec: 1001, usec: 3, bytes: frame('ETH_ARP_REQUEST') },
  { sec: 1001, usec: 4, bytes: frame('ETH_LLDP') },
  { sec: 1002, usec: 0, bytes: ihl4 },
  { sec: 1002, usec: 5, bytes: badTcp },
  { sec: 1002, usec: 750000, bytes: frame('ETH_IPV4_UDP'), caplen: 42 },
];

describe('inspect one file', () => {
  const file = write('mixed.pcap', pcap(1, MIXED));
  const r = inspectCaptures([file]);
  const f = r.files[0]!;

  it('describes the file', () => {
    expect([f.path, f.format, f.gzip, f.fileBytes]).toEqual([file, 'pcap', false, 24 + 16 * 10 + 590]);
    expect(f.interfaces).toHaveLength(1);
    expect(f.interfaces[0]).toMatchObject({ linkType: 1, linkTypeName: 'ETHERNET', decodable: true, snaplen: 65535, tsResolution: 'µs', packets: 10 });
    expect(f.linkTypes).toEqual([{ linkType: 1, name: 'ETHERNET', packets: 10, decodable: true }]);
    expect(f.warnings).toEqual([]);
    expect([f.ifIndexes, f.otherIfIndexPackets]).toEqual([[], 0]);
  });

  it('counts packets and bytes', () => {
    expect(f.packets).toBe(10);
    expect(f.bytes).toEqual({ wire: 594, captured: 590 });
    expect(f.snappedPackets).toBe(1);
  });

  it('spans earliest to latest timestamp, exactly, and notices the disorder', () => {
    expect(f.time.start?.epoch).toBe('1000.250000000');
    expect(f.time.end?.epoch).toBe('1002.750000000');
    expect(f.time.start?.iso).toBe('1970-01-01T00:16:40.250000000Z');
    expect(f.time.duration).toBe('2.500000000');
    expect(f.time.durationSeconds).toBe(2.5);
    expect(f.time.ordered).toBe(false);
  });

  it('reports the protocol mix', () => {
    expect(f.protocols.l3).toEqual({ ipv4: 8, ipv6: 0, arp: 1, other: 1, none: 0 });
    // the IHL 4 packet has no readable protocol
    expect(f.protocols.ipv4).toEqual({ tcp: 3, udp: 2, icmp: 2 });
    expect(f.protocols.ipv6).toEqual({});
    expect(f.protocols.icmpErrors).toBe(1);
    expect([f.protocols.vlanTagged, f.protocols.fragments]).toEqual([0, 0]);
  });

  it('counts flows: one TCP, one UDP, one ICMP echo', () => {
    expect(f.flows).toEqual({ flows: 3, exact: true, cap: 1 << 19 });
  });

  it('reports decode events with their first record', () => {
    expect(f.decodeEvents).toEqual({ IPV4_HLEN_TOO_SMALL: { count: 1, firstFile: 0, firstRecord: 7 } });
  });

  it('reports checksum results', () => {
    expect(f.checksums.ipv4Header).toEqual({ checked: 7, bad: 0 });
    expect(f.checksums.l4).toEqual({ checked: 6, bad: 1, none: 0, unverifiable: 1, partial: 0 });
  });

  it('renders the facts as text', () => {
    const text = renderInspect(r);
    expect(text).toContain(`File:          ${file}`);
    expect(text).toContain('Packets:       10 (1 cut by the snap length)');
    expect(text).toContain('Bytes:         594 on the wire, 590 captured');
    expect(text).toContain('(2.500000000 s), not in time order');
    expect(text).toContain('  IPv4:        tcp 3, icmp 2, udp 2, header not decoded 1');
    expect(text).toContain('Flows:         3');
    expect(text).toContain('  IPV4_HLEN_TOO_SMALL: 1 (first: file 0, record 7)');
    expect(text).toContain('TCP/UDP/ICMP 1 bad of 6 verified, 1 not verifiable');
    expect(text).not.toContain('Total over');
  });
});

describe('inspect several files', () => {
  const a = write('a.pcap', pcap(1, MIXED));
  const nflog = write('nflog.pcap.gz', gzipSync(pcap(239, [{ sec: 5, usec: 0, bytes: frame('ETH_IPV4_UDP') }])));
  const again = write('again.pcap', pcap(1, [{ sec: 2000, usec: 0, bytes: frame('ETH_IPV4_UDP') }]));
  const r = inspectCaptures([a, nflog, again]);

  it('reports a link type it cannot decode instead of failing', () => {
    const f = r.files[1]!;
    expect(f.gzip).toBe(true);
    expect(f.linkTypes).toEqual([{ linkType: 239, name: 'NFLOG', packets: 1, decodable: false }]);
    expect(f.decodeEvents).toEqual({ LINKTYPE_UNSUPPORTED: { count: 1, firstFile: 1, firstRecord: 0 } });
    expect(f.protocols.l3.none).toBe(1);
    expect(renderInspect(r)).toContain('NFLOG (239) 1 [not decodable: counted only]');
  });

  it('totals: sums, the overall span, and flows counted once across files', () => {
    const t = r.total;
    expect(t.packets).toBe(12);
    expect(t.bytes).toEqual({ wire: 594 + 46 + 46, captured: 590 + 46 + 46 });
    expect(t.linkTypes.map((l) => [l.linkType, l.packets])).toEqual([
      [1, 11],
      [239, 1],
    ]);
    expect(t.time.start?.epoch).toBe('5.000000000');
    expect(t.time.end?.epoch).toBe('2000.000000000');
    expect(t.flows.flows).toBe(3);
    expect(t.protocols.ipv4).toEqual({ udp: 3, tcp: 3, icmp: 2 });
    expect(Object.keys(t.decodeEvents).sort()).toEqual(['IPV4_HLEN_TOO_SMALL', 'LINKTYPE_UNSUPPORTED']);
    expect(renderInspect(r)).toContain('Total over 3 files');
  });
});

describe('inspect SLL2 captures', () => {
  it('counts packets per interface index carried by the frames', () => {
    const sll2 = (ifindex: number): Uint8Array => {
      const b = frame('SLL2_IPV6_ICMPV6_ECHO');
      new DataView(b.buffer).setUint32(4, ifindex);
      return b;
    };
    const f = write('any.pcap', pcap(276, [3, 7, 3, 3].map((i, k) => ({ sec: 1, usec: k, bytes: sll2(i) }))));
    const r = inspectCaptures([f]).files[0]!;
    expect(r.ifIndexes).toEqual([
      { ifIndex: 3, packets: 3 },
      { ifIndex: 7, packets: 1 },
    ]);
    expect(renderInspect({ files: [r], total: r })).toContain('Interface indexes in the frames (SLL2): 3: 3, 7: 1');
  });
});

describe('inspect failures', () => {
  it('a file that is not a capture is a CaptureFormatError naming the path', () => {
    const bad = write('bad.pcap', new TextEncoder().encode('this is not a capture file'));
    let err: unknown;
    try {
      inspectCaptures([bad]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as CaptureFormatError).path).toBe(bad);
    expect((err as CaptureFormatError).code).toMatch(/^ERR_/);
  });

  it('a cut-off final record is a warning, and an error with strict', () => {
    const whole = pcap(1, MIXED.slice(0, 3));
    const cut = write('cut.pcap', whole.subarray(0, whole.length - 10));
    const f = inspectCaptures([cut]).files[0]!;
    expect(f.packets).toBe(2);
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]!.record).toBe(2);
    expect(renderInspect({ files: [f], total: f })).toContain('Warning:');
    expect(() => inspectCaptures([cut], { strict: true })).toThrow(CaptureFormatError);
  });

  it('reports progress through the callback', () => {
    const f = write('progress.pcap', pcap(1, MIXED));
    const seen: number[] = [];
    inspectCaptures([f], { progressEvery: 4, onProgress: (p) => seen.push(p.packets) });
    expect(seen).toEqual([4, 8]);
  });
});

describe('capture time helpers', () => {
  it('formats exact epoch and ISO times', () => {
    expect(formatTime(1258544215, 37210000)).toMatchObject({ epoch: '1258544215.037210000', iso: '2009-11-18T11:36:55.037210000Z' });
  });

  it('differences are exact to the nanosecond, across second boundaries and backwards', () => {
    expect(timeDiff(formatTime(10, 999999999), formatTime(12, 1)).text).toBe('1.000000002');
    expect(timeDiff(formatTime(12, 1), formatTime(10, 999999999)).text).toBe('-1.000000002');
    expect(timeDiff(null, null)).toEqual({ text: '0.000000000', seconds: 0 });
  });
});
