// Every capture of the public corpus and the kernel recordings opens, and what we read equals what
// independent readers say: capinfos (packet count, interfaces with their encapsulation, resolution and
// packet count, from test/fixtures/capinfos-facts.json), the corpus index (link types, resolutions),
// pcap-parser (every classic pcap, packet for packet) and tshark (every pcapng, packet for packet).
// Files capinfos rejects are checked against what the corpus documents for them.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { openCapture } from '../../src/capture/open.js';
import type { CaptureCursor, CaptureRecord } from '../../src/capture/types.js';
import { CaptureFormatError } from '../../src/util/errors.js';
import { describeShared, PROJECT_ROOT, SHARED_DIR } from '../helpers/shared.js';

interface InterfaceFacts {
  name?: string;
  wtapEncap: number;
  encap: string;
  ticksPerSecond?: number;
  packets: number;
}
interface FileFacts {
  sha256: string;
  ok: boolean;
  packets?: number;
  encapsulation?: string;
  interfaces?: InterfaceFacts[];
  error?: string;
  packetsBeforeError?: number;
}
interface Facts {
  command: string;
  capinfosVersion: string;
  files: Record<string, FileFacts>;
}

const facts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/capinfos-facts.json'), 'utf8')) as Facts;

/** Wireshark's short encapsulation names for the LINKTYPE_* values in these files (wiretap pcap-common.c). */
const WTAP_NAME: Record<number, string> = {
  0: 'null',
  1: 'ether',
  9: 'ppp',
  10: 'fddi-swapped',
  101: 'rawip',
  105: 'ieee-802-11',
  113: 'linux-sll',
  127: 'ieee-802-11-radiotap',
  228: 'rawip4',
  229: 'rawip6',
  230: 'wpan-nofcs',
  239: 'nflog',
  274: 'ether-mpacket',
  276: 'linux-sll2',
};

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string | NodeJS.ReadableStream): EventEmitter };

interface ParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

/** All packets pcap-parser reads from a file (gunzipped first when compressed), or its error. */
function parseWithPcapParser(file: string): Promise<{ packets: ParserPacket[]; error: Error | null }> {
  return new Promise((resolve) => {
    const packets: ParserPacket[] = [];
    let error: Error | null = null;
    const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(zlib.createGunzip()) : file;
    const p = pcapParser.parse(input);
    p.on('packet', (pkt: ParserPacket) => packets.push(pkt));
    p.on('error', (e: Error) => (error = e));
    p.on('end', () => resolve({ packets, error }));
  });
}

function readEverything(cursor: CaptureCursor, each?: (r: CaptureRecord) => void): number {
  let n = 0;
  try {
    for (let r = cursor.next(); r !== null; r = cursor.next()) {
      each?.(r);
      n++;
    }
  } finally {
    cursor.close();
  }
  return n;
}

function epoch(r: CaptureRecord): string {
  return `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`;
}

const sharedPath = (rel: string): string => path.join(SHARED_DIR, rel);

describeShared('capture corpus: openCapture agrees with capinfos, pcap-parser and tshark', () => {
  const entries = Object.entries(facts.files);

  it('has facts for every capture of the corpus index and the recordings, and they are current', () => {
    const index = JSON.parse(fs.readFileSync(sharedPath('corpus/index.json'), 'utf8')) as { files: { path: string; kind: string }[] };
    const captures = index.files.filter((f) => f.kind === 'capture').map((f) => `corpus/${f.path}`);
    for (const c of captures) expect(facts.files[c], `${c} missing from capinfos-facts.json`).toBeDefined();
    const recordings = execFileSync('find', [sharedPath('oracle/captures'), '-name', '*.pcap', '-o', '-name', '*.pcapng'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => path.relative(SHARED_DIR, l));
    expect(recordings.length).toBeGreaterThan(0);
    for (const r of recordings) expect(facts.files[r], `${r} missing from capinfos-facts.json`).toBeDefined();
    for (const [rel, f] of entries) {
      const sha = createHash('sha256').update(fs.readFileSync(sharedPath(rel))).digest('hex');
      expect(sha, `${rel} changed: rerun test/fixtures/make-capinfos-facts.sh`).toBe(f.sha256);
    }
    expect(facts.capinfosVersion).toMatch(/^Capinfos \(Wireshark\)/);
  });

  describe('files capinfos accepts: packets and interfaces as capinfos reports them', () => {
    for (const [rel, f] of entries.filter(([, f]) => f.ok)) {
      it(rel, () => {
        const cursor = openCapture([sharedPath(rel)]);
        // capinfos 4.0 numbers interfaces across sections as we do, but counts each packet on the
        // interface numbered by its section-local id: count the same way to compare
        const byLocalId = new Map<number, number>();
        const n = readEverything(cursor, (r) => {
          const local = cursor.interfaces()[r.interfaceId]!.localId;
          byLocalId.set(local, (byLocalId.get(local) ?? 0) + 1);
        });
        expect(n).toBe(f.packets);
        const ifs = cursor.interfaces();
        expect(ifs.length).toBe(f.interfaces!.length);
        ifs.forEach((i, k) => {
          const want = f.interfaces![k]!;
          expect(i.id).toBe(k);
          expect(WTAP_NAME[i.linkType], `interface ${k} link type ${i.linkType}`).toBe(want.encap);
          expect(byLocalId.get(k) ?? 0, `packets counted on interface #${k}`).toBe(want.packets);
          if (want.ticksPerSecond !== undefined) expect(i.tsUnitsPerSec).toBe(want.ticksPerSecond);
          // capinfos prints names verbatim, one line each: a name with a line break is cut in the facts
          if (want.name !== undefined) expect(i.name!.split(/\r?\n/)[0]).toBe(want.name);
        });
        if (f.encapsulation !== 'per-packet' && f.encapsulation !== 'unknown') {
          for (const i of ifs) expect(WTAP_NAME[i.linkType]).toBe(f.encapsulation);
        }
        expect(cursor.warnings.filter((w) => w.code === 'ERR_CAPTURE_TRUNCATED_RECORD')).toEqual([]);
      });
    }
  });

  it('agrees with the corpus index on link types and timestamp resolutions', () => {
    const index = JSON.parse(fs.readFileSync(sharedPath('corpus/index.json'), 'utf8')) as {
      files: { path: string; kind: string; linktypes?: number[]; ts_resolution?: string[] | string; format?: string }[];
    };
    // the index writes 'us' / 'ns' for pcap files and a list of 10^-n / 2^-n for pcapng files
    const resolution = (units: number, format: string): string =>
      format.startsWith('pcapng') ? (units === 256 ? '2^-8' : `10^-${Math.round(Math.log10(units))}`) : units === 1e9 ? 'ns' : 'us';
    let checked = 0;
    for (const e of index.files.filter((x) => x.kind === 'capture' && x.format !== 'unknown')) {
      const cursor = openCapture([sharedPath(`corpus/${e.path}`)]);
      try {
        const ifs = cursor.interfaces().slice();
        // interfaces of later sections are described as the stream reaches them
        while (cursor.next() !== null);
        const all = cursor.interfaces();
        expect(all.length).toBeGreaterThanOrEqual(ifs.length);
        expect([...new Set(all.map((i) => i.linkType))].sort((a, b) => a - b)).toEqual(e.linktypes);
        const want = Array.isArray(e.ts_resolution) ? [...e.ts_resolution].sort() : [e.ts_resolution];
        expect([...new Set(all.map((i) => resolution(i.tsUnitsPerSec, e.format!)))].sort()).toEqual(want);
        checked++;
      } finally {
        cursor.close();
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  describe('classic pcap: packet for packet as pcap-parser reads it', () => {
    for (const [rel] of entries.filter(([rel, f]) => f.ok && !rel.includes('.pcapng'))) {
      it(rel, async () => {
        const file = sharedPath(rel);
        const parsed = await parseWithPcapParser(file);
        const cursor = openCapture([file]);
        if (parsed.error !== null) {
          // pcap-parser knows only the microsecond magic: it must be a nanosecond file it refuses
          expect(parsed.error.message).toMatch(/unknown magic number: (a1b23c4d|4d3cb2a1)/);
          expect(cursor.interfaces()[0]!.tsUnitsPerSec).toBe(1e9);
          cursor.close();
          return;
        }
        let i = 0;
        readEverything(cursor, (r) => {
          const p = parsed.packets[i++]!;
          expect(p, `record ${i - 1}`).toBeDefined();
          expect([r.tsSec, r.tsNsec, r.caplen, r.origLen]).toEqual([p.header.timestampSeconds, p.header.timestampMicroseconds * 1000, p.header.capturedLength, p.header.originalLength]);
          expect(Buffer.from(r.data.buffer, r.data.byteOffset + r.offset, r.caplen).equals(p.data)).toBe(true);
        });
        expect(i).toBe(parsed.packets.length);
      });
    }
  });

  describe('pcapng: packet for packet as tshark reads it', () => {
    for (const [rel] of entries.filter(([rel, f]) => f.ok && rel.includes('.pcapng'))) {
      it(rel, () => {
        const file = sharedPath(rel);
        const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id', '-e', 'frame.section_number'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        // tshark also lists custom blocks as records: they have no interface id
        const rows = out
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => l.split('\t'))
          .filter((f) => f[3] !== '');
        let i = 0;
        let previous = '0.000000000';
        const cursor = openCapture([file]);
        readEverything(cursor, (r) => {
          const [time, cap, len, localId, section] = rows[i++]!;
          // a simple packet block has no timestamp: tshark shows none, we keep the previous packet's time
          if (time === '') expect(epoch(r)).toBe(previous);
          else expect(epoch(r), `packet ${i}`).toBe(time);
          const iface = cursor.interfaces()[r.interfaceId]!;
          // tshark gives the section-local interface id and a 1-based section number
          expect([r.caplen, r.origLen, iface.localId, iface.section + 1]).toEqual([Number(cap), Number(len), Number(localId), Number(section)]);
          previous = epoch(r);
        });
        expect(i).toBe(rows.length);
      });
    }
  });

  it('pcapng-test-generator: packets and interfaces as each file\'s .txt block counts state', () => {
    let checked = 0;
    for (const order of ['le', 'be']) {
      for (const cat of ['basic', 'advanced', 'difficult']) {
        const folder = sharedPath(`corpus/pcapng-test-generator/${order}/${cat}`);
        for (const txt of fs.readdirSync(folder).filter((f) => f.endsWith('.txt'))) {
          const text = fs.readFileSync(path.join(folder, txt), 'utf8');
          const count = (block: string): number => Number(new RegExp(`^\\s*${block}: (\\d+)`, 'm').exec(text)?.[1] ?? 0);
          const cursor = openCapture([path.join(folder, txt.replace(/\.txt$/, '.pcapng'))]);
          const packets = readEverything(cursor);
          expect(packets, txt).toBe(count('EPB') + count('SPB') + count('PB'));
          expect(cursor.interfaces().length, txt).toBe(count('IDB'));
          checked++;
        }
      }
    }
    expect(checked).toBe(48);
  });

  describe('files capinfos rejects: the behaviour the corpus documents', () => {
    it('node-pcap-parser/malformed.pcap is not a capture (expected.json: error)', () => {
      const expected = JSON.parse(fs.readFileSync(sharedPath('corpus/node-pcap-parser/expected.json'), 'utf8')) as Record<string, { expect?: string }>;
      expect(expected['malformed.pcap']!.expect).toBe('error');
      expect(facts.files['corpus/node-pcap-parser/malformed.pcap']!.ok).toBe(false);
      let err: unknown = null;
      try {
        openCapture([sharedPath('corpus/node-pcap-parser/malformed.pcap')]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptureFormatError);
      expect((err as CaptureFormatError).code).toBe('ERR_CAPTURE_BAD_MAGIC');
    });

    it('node-pcap-parser smtp.pcap and be.pcap: headers and first packets as expected.json states', () => {
      const expected = JSON.parse(fs.readFileSync(sharedPath('corpus/node-pcap-parser/expected.json'), 'utf8')) as Record<
        string,
        { globalHeader: { snaplen: number; linktype: number }; firstPacket: { tsSec: number; tsUsec: number; inclLen: number; origLen: number }; packetCount: number }
      >;
      for (const name of ['smtp.pcap', 'be.pcap']) {
        const e = expected[name]!;
        const c = openCapture([sharedPath(`corpus/node-pcap-parser/${name}`)]);
        expect(c.interfaces()[0]).toMatchObject({ snaplen: e.globalHeader.snaplen, linkType: e.globalHeader.linktype });
        const r = c.next()!;
        expect([r.tsSec, r.tsNsec, r.caplen, r.origLen]).toEqual([e.firstPacket.tsSec, e.firstPacket.tsUsec * 1000, e.firstPacket.inclLen, e.firstPacket.origLen]);
        expect(1 + readEverything(c)).toBe(e.packetCount);
      }
    });

    for (const order of ['le', 'be']) {
      it(`gopacket-pcapng/${order}/test901.pcapng: section version 2.0 is skipped, or an error with strict`, () => {
        const expected = JSON.parse(fs.readFileSync(sharedPath('corpus/gopacket-pcapng/expected.json'), 'utf8')) as {
          'test901.pcapng': { strict: { packets: number }; skipUnknownVersion: { packets: number }; packetTimestamp: string };
        };
        const e = expected['test901.pcapng'];
        const rel = `corpus/gopacket-pcapng/${order}/test901.pcapng`;
        expect(facts.files[rel]!.packetsBeforeError).toBe(e.strict.packets);
        // packetTimestamp "0x0004c397_64ca47aa microseconds since epoch"
        const m = /0x([0-9a-f]+)_([0-9a-f]+)/.exec(e.packetTimestamp)!;
        const us = BigInt(`0x${m[1]}${m[2]}`);
        const want = [Number(us / 1000000n), Number(us % 1000000n) * 1000];

        const lenient = openCapture([sharedPath(rel)]);
        const times: number[][] = [];
        readEverything(lenient, (r) => times.push([r.tsSec, r.tsNsec]));
        expect(times).toEqual(Array.from({ length: e.skipUnknownVersion.packets }, () => want));
        expect(lenient.warnings.map((w) => w.code)).toEqual(['ERR_PCAPNG_UNSUPPORTED_VERSION']);

        const strict = openCapture([sharedPath(rel)], { strict: true });
        let n = 0;
        let err: unknown = null;
        try {
          while (strict.next() !== null) n++;
        } catch (x) {
          err = x;
        }
        strict.close();
        expect(n).toBe(e.strict.packets);
        expect((err as CaptureFormatError).code).toBe('ERR_PCAPNG_UNSUPPORTED_VERSION');
      });
    }

    it('gopacket-pcapng test902: binary resolution timestamp as expected.json states', () => {
      const expected = JSON.parse(fs.readFileSync(sharedPath('corpus/gopacket-pcapng/expected.json'), 'utf8')) as {
        'test902.pcapng': { timestampEpoch: string; frameLength: number; packets: number };
      };
      const e = expected['test902.pcapng'];
      for (const order of ['le', 'be']) {
        const c = openCapture([sharedPath(`corpus/gopacket-pcapng/${order}/test902.pcapng`)]);
        const r = c.next()!;
        const [s, frac] = e.timestampEpoch.split('.') as [string, string];
        expect([r.tsSec, r.tsNsec, r.caplen]).toEqual([Number(s), Number(frac.padEnd(9, '0')), e.frameLength]);
        expect(1 + readEverything(c)).toBe(e.packets);
      }
    });
  });
});
