// `nfreplay inspect` against capinfos on the public corpus: packet counts, data size (bytes on the wire),
// earliest and latest timestamps and the duration, exact to the nanosecond, for every capture capinfos
// reads; and the built CLI's --json output (success and failure shapes) on a few of them.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeShared, CORPUS_DIR, PROJECT_ROOT } from '../helpers/shared.js';
import { inspectCaptures } from '../../src/report/inspect-run.js';

interface IndexEntry {
  path: string;
  kind: string;
  capinfos?: string;
}

interface CapinfosFacts {
  packets: number;
  dataSize: number;
  duration: string;
  start: string;
  end: string;
}

/** capinfos -T: packets, data size, duration, start and end time of one file. */
function capinfos(file: string): CapinfosFacts {
  const r = spawnSync('capinfos', ['-T', '-r', '-c', '-d', '-u', '-a', '-e', '-S', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const cols = r.stdout.trim().split('\t');
  return { packets: Number(cols[1]), dataSize: Number(cols[2]), duration: cols[3]!, start: cols[4]!, end: cols[5]! };
}

/** "123.4567" → nanoseconds, exactly. */
function ns(s: string): bigint {
  const [sec, frac = ''] = s.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/**
 * Our exact time equals capinfos' printed one to the digits capinfos prints: as many decimals as the
 * resolution has (6 for µs, 9 for ns), only 2 for 2^-8 s, where it truncates (.1953125 prints as .19).
 */
function sameTime(ours: string, theirs: string): void {
  const digits = (theirs.split('.')[1] ?? '').length;
  const unit = 10n ** BigInt(9 - Math.min(9, digits));
  const d = ns(ours) - ns(theirs);
  expect(d >= 0n && d < unit, `${ours} vs capinfos ${theirs}`).toBe(true);
}

describeShared('inspect agrees with capinfos', () => {
  const index = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'index.json'), 'utf8')) as { files: IndexEntry[] };
  const captures = index.files.filter((f) => f.kind === 'capture' && f.capinfos === 'ok').map((f) => f.path);

  it.each(captures)('%s', (rel) => {
    const file = path.join(CORPUS_DIR, rel);
    const want = capinfos(file);
    const got = inspectCaptures([file]).files[0]!;
    expect(got.packets).toBe(want.packets);
    expect(got.bytes.wire).toBe(want.dataSize);
    // capinfos prints "n/a" for files whose packets carry no timestamp (pcapng simple packet blocks)
    if (want.packets > 0 && want.start !== 'n/a') {
      sameTime(got.time.start!.epoch, want.start);
      sameTime(got.time.end!.epoch, want.end);
      sameTime(got.time.duration, want.duration);
    }
  });
});

describeShared('inspect: interface indexes carried by SLL2 frames agree with tshark', () => {
  it.each(['zeek/linux_dlt_sll2.pcap'])('%s', (rel) => {
    const file = path.join(CORPUS_DIR, rel);
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'sll.ifindex'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const want = new Map<number, number>();
    for (const l of r.stdout.trim().split('\n')) want.set(Number(l), (want.get(Number(l)) ?? 0) + 1);
    const got = inspectCaptures([file]).files[0]!;
    expect(got.ifIndexes).toEqual([...want.entries()].sort((a, b) => a[0] - b[0]).map(([ifIndex, packets]) => ({ ifIndex, packets })));
    expect(got.otherIfIndexPackets).toBe(0);
  });
});

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describeShared('nfreplay inspect --json (the built CLI)', () => {
  it('prints one JSON object whose facts match capinfos, for several files at once', () => {
    const files = ['zeek/pcapng-multi-interface.pcapng', 'zeek/echo-connections.pcap.gz', 'zeek/nflog-http.pcap'].map((f) => path.join(CORPUS_DIR, f));
    const r = cli(['inspect', '--json', ...files]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReturnType<typeof inspectCaptures>;
    expect(report.files).toHaveLength(3);
    files.forEach((f, i) => {
      const want = capinfos(f);
      expect(report.files[i]!.packets).toBe(want.packets);
      expect(ns(report.files[i]!.time.duration)).toBe(ns(want.duration));
    });
    expect(report.files[1]!.gzip).toBe(true);
    expect(report.files[0]!.interfaces.map((x) => [x.name, x.tsResolution, x.packets])).toEqual([
      ['eth0', 'ns', 2],
      ['\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}', 'µs', 4],
    ]);
    expect(report.files[2]!.linkTypes).toEqual([{ linkType: 239, name: 'NFLOG', packets: 13, decodable: false }]);
    expect(report.total.packets).toBe(6 + 82582 + 13);
  });

  it('fails with exit code 1 and a JSON error naming the file', () => {
    const bad = path.join(CORPUS_DIR, 'node-pcap-parser', 'malformed.pcap');
    const r = cli(['inspect', '--json', bad]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string; path: string; offset: number } };
    expect(out.error.code).toBe('ERR_CAPTURE_BAD_MAGIC');
    expect(out.error.path).toBe(bad);
    expect(out.error.offset).toBe(0);
  });

  it('without --json: text, and a one-line error on stderr', () => {
    const ok = cli(['inspect', path.join(CORPUS_DIR, 'zeek', 'linux_dlt_sll2.pcap')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('LINUX_SLL2 (276) 6');
    const bad = cli(['inspect', path.join(CORPUS_DIR, 'node-pcap-parser', 'malformed.pcap')]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/malformed\.pcap.*\[ERR_CAPTURE_BAD_MAGIC\]/);
  });
});
