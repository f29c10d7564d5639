// Captures whose packets cannot be placed on a host interface are refused with advice that fits them: a
// single-interface file is named with --ingress, a Linux cooked v1 ("any" before tcpdump 4.99) file has no
// interface per packet at all. And with --ingress the same file replays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../src/engine/replay.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { LinkType } from '../../src/capture/types.js';

const HOST = path.resolve(__dirname, '..', '..', 'captures', 'docker-host');

/** One IPv4/UDP packet from c1 (172.17.0.2) to ext, behind a link header of `linkType`. */
function capture(linkType: number): string {
  const ip = Buffer.from('4500001c000040004011000aac110002c633640a1388270f00080000', 'hex');
  const link = linkType === LinkType.LINUX_SLL
    ? Buffer.from('00000001000602 42ac110002 0000 0800'.replace(/ /g, ''), 'hex')
    : Buffer.from('02425a00000102 42ac110002 0800'.replace(/ /g, ''), 'hex');
  const frame = Buffer.concat([link, ip]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-ingress-err-')), 'c.pcap');
  const w = new PcapWriter(file, { linkType });
  w.writePacket(frame, 0, frame.length, frame.length, 1, 0);
  w.close();
  return file;
}

/** Replay `file`; `ingress` maps capture file paths to interface names (--ingress IFACE=FILE). */
function replay(file: string, ingress: [string, string][] = []): () => unknown {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-ingress-err-out-'));
  return () => runReplay(replayOptions({ captures: [file], rulesPath: path.join(HOST, 'rules.v4'), snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, { ingress: new Map(ingress) }));
}

describe('captures that do not say where their packets entered', () => {
  it('a single-interface Ethernet capture: name it with --ingress', () => {
    const f = capture(LinkType.ETHERNET);
    expect(replay(f)).toThrow(`name it with --ingress IFACE=${f}`);
    expect(replay(f, [[f, 'vethc1']])).not.toThrow();
  });

  it('Linux cooked v1: says the format records no interface and how to capture instead', () => {
    const f = capture(LinkType.LINUX_SLL);
    expect(replay(f)).toThrow(/Linux cooked v1 \(LINUX_SLL\), which does not record the interface of each packet.*-y LINUX_SLL2/);
    expect(replay(f, [[f, 'vethc1']])).not.toThrow();
  });
});
