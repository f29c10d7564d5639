// The floor under any replay: per packet, the work every replay does before and after the datapath, and
// nothing else. Read the record, copy the frame into a packet buffer, decode it with every checksum
// verified (conntrack's tcp_error/udp_error verify them at PREROUTING, so a faithful replay must), and
// optionally write the frame to a pcap as tx/<iface>.pcap is written. No hook, rule, conntrack or NAT
// runs: a replay can only be slower than this, so its rate bounds what the replay can reach on the machine.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCapture } from '../src/capture/open.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { LinkType } from '../src/capture/types.js';
import { DecodeCounters } from '../src/decode/counters.js';
import { decodeFrame, Verify } from '../src/decode/decode.js';
import { PacketMeta } from '../src/decode/meta.js';
import { BUF_SIZE, HEADROOM } from '../src/netfilter/path/pkt.js';

/** Run the floor over `file`; with `writeTx` every frame is written to a pcap in a temporary directory. */
export function replayFloor(file: string, writeTx: boolean): { packets: number; seconds: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-floor-'));
  const meta = new PacketMeta();
  const counters = new DecodeCounters();
  const buf = new Uint8Array(BUF_SIZE);
  const t0 = process.hrtime.bigint();
  const cursor = openCapture([file], {});
  const tx = writeTx ? new PcapWriter(path.join(dir, 'tx.pcap'), { linkType: LinkType.ETHERNET, nanosecond: true }) : null;
  let packets = 0;
  try {
    for (let r = cursor.next(); r !== null; r = cursor.next()) {
      const len = Math.min(r.caplen, buf.length - HEADROOM - 128);
      buf.set(r.data.subarray(r.offset, r.offset + len), HEADROOM);
      decodeFrame(meta, buf, HEADROOM, len, r.origLen, r.linkType, counters, Verify.ALL);
      // the replay writes Ethernet frames: from the network header on, behind a 14-byte link header
      if (tx !== null && meta.l3Off >= HEADROOM) tx.writePacket(buf, meta.l3Off - 14, len - (meta.l3Off - HEADROOM) + 14, r.origLen, r.tsSec, r.tsNsec);
      packets++;
    }
    tx?.close();
  } finally {
    cursor.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(dir, { recursive: true, force: true });
  return { packets, seconds };
}
