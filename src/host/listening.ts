// Parses `ss -H -ltun` output into the host's listening IPv4 sockets (TCP LISTEN and bound UDP). A socket
// bound to [::] also accepts IPv4 (net.ipv6.bindv6only=0, the default); other IPv6 sockets are skipped.

import { SnapshotError } from '../util/errors.js';
import { parseIpv4 } from '../util/ipv4.js';
import type { ListeningSocket } from './types.js';

export function parseListening(text: string, path: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cols = line.split(/\s+/);
    // Netid State Recv-Q Send-Q Local:Port Peer:Port [Process]
    if (cols.length < 6) throw new SnapshotError('ERR_SNAPSHOT_SS_SYNTAX', `expected "ss -H -ltun" columns, got "${line}"`, { path, line: i + 1, column: 1 });
    const netid = cols[0]!;
    if (netid !== 'tcp' && netid !== 'udp') continue;
    const local = cols[4]!;
    const colon = local.lastIndexOf(':');
    if (colon < 0) throw new SnapshotError('ERR_SNAPSHOT_SS_SYNTAX', `local address "${local}" has no port`, { path, line: i + 1, column: line.indexOf(local) + 1 });
    const portText = local.slice(colon + 1);
    if (!/^\d+$/.test(portText)) {
      if (portText === '*') continue;
      throw new SnapshotError('ERR_SNAPSHOT_SS_SYNTAX', `bad port "${portText}"`, { path, line: i + 1, column: line.indexOf(local) + colon + 2 });
    }
    let host = local.slice(0, colon);
    const pct = host.indexOf('%');
    if (pct >= 0) host = host.slice(0, pct);
    let addr: number;
    if (host === '*' || host === '0.0.0.0' || host === '[::]') addr = 0;
    else if (host.startsWith('[')) {
      const m = /^\[::ffff:([0-9.]+)\]$/.exec(host);
      if (!m) continue;
      addr = parseIpv4(m[1]!);
    } else addr = parseIpv4(host);
    if (addr < 0) throw new SnapshotError('ERR_SNAPSHOT_SS_SYNTAX', `bad address "${host}"`, { path, line: i + 1, column: line.indexOf(local) + 1 });
    out.push({ proto: netid, addr, port: Number(portText) });
  }
  return out;
}
