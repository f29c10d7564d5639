// The malformed fixtures of captures/malformed: the generator reproduces the committed files exactly, and
// each file triggers what captures/README.md says (file-level defects here; the packet-level ones must
// read cleanly, their defects confirmed by tshark's expert info).

import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureFormatError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import type { CaptureCursor } from '../../../src/capture/types.js';
import { PROJECT_ROOT } from '../../helpers/shared.js';
import { tempDir } from './build.js';
import { tsharkFields } from './tools.js';

const fixtures = path.join(PROJECT_ROOT, 'captures', 'malformed');
const fx = (name: string): string => path.join(fixtures, name);
const dir = tempDir('malformed');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function drain(c: CaptureCursor): { records: number; error: CaptureFormatError | null } {
  let records = 0;
  try {
    while (c.next() !== null) records++;
    return { records, error: null };
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    return { records, error: e };
  } finally {
    c.close();
  }
}

describe('captures/malformed', () => {
  it('is exactly what make-malformed.mjs builds', () => {
    execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'captures', 'make-malformed.mjs'), dir], { stdio: 'ignore' });
    const built = fs.readdirSync(dir).sort();
    expect(fs.readdirSync(fixtures).sort()).toEqual(built);
    for (const f of built) expect(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(fx(f))), f).toBe(true);
  });

  it('bad-magic.pcap: ERR_CAPTURE_BAD_MAGIC at open', () => {
    expect(() => openCapture([fx('bad-magic.pcap')])).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_BAD_MAGIC', offset: 0, path: fx('bad-magic.pcap') }));
  });

  it('empty.pcap: ERR_CAPTURE_EMPTY at open', () => {
    expect(() => openCapture([fx('empty.pcap')])).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_EMPTY' }));
  });

  it('caplen-above-snaplen.pcap: the record whole and one warning', () => {
    const c = openCapture([fx('caplen-above-snaplen.pcap')]);
    const r = c.next()!;
    expect([r.caplen, r.origLen]).toEqual([74, 74]);
    expect(drain(c)).toEqual({ records: 0, error: null });
    expect(c.warnings).toMatchObject([{ code: 'WARN_CAPTURE_CAPLEN_ABOVE_SNAPLEN', offset: 24, record: 0, count: 1 }]);
  });

  it('caplen-too-big.pcap: one record, then ERR_CAPTURE_CAPLEN_TOO_BIG', () => {
    const { records, error } = drain(openCapture([fx('caplen-too-big.pcap')]));
    expect(records).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN_TOO_BIG', offset: 114, record: 1 });
  });

  it('truncated-record.pcap: a warning and the end, an error with strict', () => {
    const c = openCapture([fx('truncated-record.pcap')]);
    expect(drain(c)).toEqual({ records: 1, error: null });
    expect(c.warnings).toMatchObject([{ code: 'ERR_CAPTURE_TRUNCATED_RECORD', offset: 114, record: 1 }]);
    const s = drain(openCapture([fx('truncated-record.pcap')], { strict: true }));
    expect(s.records).toBe(1);
    expect(s.error).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED_RECORD', offset: 114, record: 1 });
  });

  it('unknown-block.pcapng: unknown and custom blocks skipped silently', () => {
    const c = openCapture([fx('unknown-block.pcapng')]);
    expect(drain(c)).toEqual({ records: 1, error: null });
    expect(c.warnings).toEqual([]);
  });

  it('block-length-mismatch.pcapng: ERR_PCAPNG_BLOCK_LENGTH', () => {
    const { records, error } = drain(openCapture([fx('block-length-mismatch.pcapng')]));
    expect(records).toBe(0);
    expect(error).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH', offset: 48, record: 0 });
  });

  it('unknown-interface.pcapng: one packet, then ERR_PCAPNG_UNKNOWN_INTERFACE', () => {
    const { records, error } = drain(openCapture([fx('unknown-interface.pcapng')]));
    expect(records).toBe(1);
    expect(error).toMatchObject({ code: 'ERR_PCAPNG_UNKNOWN_INTERFACE', offset: 156, record: 1 });
  });

  it('packet-level fixtures read cleanly and carry the defect tshark sees', () => {
    const cases: [string, string][] = [
      ['ipv4-ihl-below-5.pcap', 'Bogus IP header length (16, must be at least 20)'],
      ['tcp-doff-past-end.pcap', 'Short segment. Segment/fragment does not contain a full TCP header'],
      ['tcp-mss-bad-length.pcap', 'option length should be 4'],
    ];
    for (const [name, expert] of cases) {
      const c = openCapture([fx(name)]);
      expect(drain(c)).toEqual({ records: 1, error: null });
      expect(c.warnings).toEqual([]);
      const [[messages]] = tsharkFields(fx(name), ['_ws.expert.message'], 'a') as [[string]];
      expect(messages, name).toContain(expert);
    }
  });
});
