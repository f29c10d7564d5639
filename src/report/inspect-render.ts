// Text rendering of the inspect report for terminals: one block per file, then a total when there are
// several. Numbers are printed exactly; the JSON form (--json) is the report object itself.

import type { InspectFileReport, InspectReport, InspectStats } from './inspect.js';

/** Interfaces listed even when they carried no packet, up to this many. */
const MAX_SILENT_SHOWN = 16;

/** The whole report as text (ends with a newline). */
export function renderInspect(report: InspectReport): string {
  const out: string[] = [];
  for (const f of report.files) {
    out.push(...renderFile(f), '');
  }
  if (report.files.length > 1) {
    out.push(`Total over ${report.files.length} files`, ...renderStats(report.total), '');
  }
  return out.join('\n');
}

function renderFile(f: InspectFileReport): string[] {
  const lines: string[] = [];
  lines.push(`File:          ${f.path}`);
  lines.push(`Format:        ${f.format}${f.gzip ? ' (gzip)' : ''}, ${f.fileBytes} bytes on disk`);
  lines.push(`Interfaces:    ${f.interfaces.length}`);
  // files merged from many captures can describe hundreds of interfaces: list the silent ones only when few
  const shown = f.interfaces.length > MAX_SILENT_SHOWN ? f.interfaces.filter((i) => i.packets > 0) : f.interfaces;
  for (const i of shown) {
    const name = i.name ?? '(unnamed)';
    const desc = i.description !== null && i.description !== i.name ? ` (${i.description})` : '';
    const lt = `${i.linkTypeName} (${i.linkType})${i.decodable ? '' : ' [not decodable]'}`;
    lines.push(`  #${i.id} ${name}${desc}: ${lt}, snaplen ${i.snaplen}, ${i.tsResolution}, ${i.packets} packets`);
  }
  if (shown.length < f.interfaces.length) lines.push(`  (${f.interfaces.length - shown.length} more interfaces without packets)`);
  if (f.ifIndexes.length > 0) {
    const idx = f.ifIndexes.map((x) => `${x.ifIndex}: ${x.packets}`).join(', ');
    lines.push(`  Interface indexes in the frames (SLL2): ${idx}${f.otherIfIndexPackets > 0 ? `, others: ${f.otherIfIndexPackets}` : ''}`);
  }
  lines.push(...renderStats(f));
  for (const w of f.warnings) lines.push(`Warning:       ${w.message} [${w.code}] at byte offset ${w.offset}, record ${w.record}`);
  return lines;
}

function renderStats(s: InspectStats): string[] {
  const lines: string[] = [];
  const lts = s.linkTypes.map((l) => `${l.name} (${l.linkType}) ${l.packets}${l.decodable ? '' : ' [not decodable: counted only]'}`);
  lines.push(`Link types:    ${lts.length > 0 ? lts.join(', ') : 'none'}`);
  lines.push(`Packets:       ${s.packets}${s.snappedPackets > 0 ? ` (${s.snappedPackets} cut by the snap length)` : ''}`);
  lines.push(`Bytes:         ${s.bytes.wire} on the wire, ${s.bytes.captured} captured`);
  if (s.time.start !== null && s.time.end !== null) {
    lines.push(`Time span:     ${s.time.start.iso} .. ${s.time.end.iso} (${s.time.duration} s)${s.time.ordered ? '' : ', not in time order'}`);
  } else {
    lines.push('Time span:     no packets');
  }
  const l3 = s.protocols.l3;
  lines.push(`Network:       ${mix({ ipv4: l3.ipv4, ipv6: l3.ipv6, arp: l3.arp, other: l3.other, undecoded: l3.none })}`);
  if (l3.ipv4 > 0) lines.push(`  IPv4:        ${mixOf(s.protocols.ipv4, l3.ipv4)}`);
  if (l3.ipv6 > 0) lines.push(`  IPv6:        ${mixOf(s.protocols.ipv6, l3.ipv6)}`);
  const extra = { 'VLAN-tagged': s.protocols.vlanTagged, fragments: s.protocols.fragments, 'ICMP errors': s.protocols.icmpErrors };
  if (Object.values(extra).some((n) => n > 0)) lines.push(`  Also:        ${mix(extra)}`);
  lines.push(`Flows:         ${s.flows.exact ? s.flows.flows : `~${s.flows.flows} (estimated: more than ${s.flows.cap} distinct flows)`}`);
  const evs = Object.entries(s.decodeEvents);
  if (evs.length === 0) lines.push('Decode events: none');
  else {
    lines.push(`Decode events: ${evs.reduce((a, [, e]) => a + e.count, 0)}`);
    for (const [name, e] of evs) lines.push(`  ${name}: ${e.count} (first: file ${e.firstFile}, record ${e.firstRecord})`);
  }
  const c = s.checksums;
  const l4 = c.l4;
  let l4Text = `${l4.bad} bad of ${l4.checked} verified`;
  if (l4.unverifiable > 0) l4Text += `, ${l4.unverifiable} not verifiable (cut or fragmented)`;
  if (l4.partial > 0) l4Text += `, ${l4.partial} left for the NIC (checksum offload)`;
  if (l4.none > 0) l4Text += `, ${l4.none} UDP without checksum`;
  lines.push(`Checksums:     IPv4 header ${c.ipv4Header.bad} bad of ${c.ipv4Header.checked}; TCP/UDP/ICMP ${l4Text}`);
  if (l4.bad > 0) lines.push('               (captures taken on the sending host often show offloaded, not yet computed, checksums)');
  return lines;
}

/** A protocol mix plus the packets of the family whose header was too damaged or cut to say. */
function mixOf(counts: Record<string, number>, packets: number): string {
  const known = Object.values(counts).reduce((a, n) => a + n, 0);
  return mix(packets > known ? { ...counts, 'header not decoded': packets - known } : counts);
}

function mix(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}
