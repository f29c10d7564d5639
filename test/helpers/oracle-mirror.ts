// Writes a kernel recording in the shape of a replay output directory (tx/<iface>.pcap, iptables-save-c.txt,
// conntrack-L.txt, conntrack-S.txt): the harness' self-test feeds the kernel's own behaviour in as "ours"
// (which must agree) and mutated copies of it (which must not).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelTxOf, scenarioInfo } from './oracle.js';
import type { TxPacket } from './oracle-packets.js';
import { parseConntrackStats } from './oracle-counters.js';
import { writeCapture, LINK_ETHERNET } from './oracle-pcap.js';

/** An Ethernet frame around an IPv4 packet (MACs zero: the harness compares from the IP header on). */
export function ethernetOf(ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f[12] = 0x08;
  f.set(ip, 14);
  return f;
}

/** Write per-interface TX lists as tx/<iface>.pcap. */
export function writeTx(outDir: string, tx: ReadonlyMap<string, readonly TxPacket[]>): void {
  fs.mkdirSync(path.join(outDir, 'tx'), { recursive: true });
  for (const [iface, list] of tx) {
    writeCapture(path.join(outDir, 'tx', `${iface}.pcap`), LINK_ETHERNET, list.map((p) => ({ tsNs: p.tsNs, data: ethernetOf(p.ip) })));
  }
}

/** Make `outDir` hold the kernel's own results for scenario `dir`, in replay output form. */
export function mirrorKernelOutput(dir: string, outDir: string): void {
  fs.mkdirSync(outDir, { recursive: true });
  writeTx(outDir, kernelTxOf(scenarioInfo(dir)));
  for (const f of ['iptables-save-c.txt', 'conntrack-L.txt']) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) fs.copyFileSync(p, path.join(outDir, f));
  }
  const after = path.join(dir, 'conntrack-S-after.txt');
  if (fs.existsSync(after)) {
    const before = parseConntrackStats(fs.existsSync(path.join(dir, 'conntrack-S-before.txt')) ? fs.readFileSync(path.join(dir, 'conntrack-S-before.txt'), 'utf8') : '');
    const fields = [...parseConntrackStats(fs.readFileSync(after, 'utf8'))].map(([k, v]) => `${k}=${v - (before.get(k) ?? 0)}`);
    fs.writeFileSync(path.join(outDir, 'conntrack-S.txt'), `cpu=0   \t${fields.join(' ')} \n`);
  }
}
