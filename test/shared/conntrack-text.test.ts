// conntrack -L / -S text against the kernel recordings: every line of every conntrack-L*.txt in the oracle
// is rebuilt from its fields (parsed here, independently of the formatter) and must print identically;
// every conntrack-S-*.txt must print byte for byte from its numbers.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import type { CtEntryDump, CtTupleDump } from '../../src/netfilter/conntrack/api.js';
import { formatConntrackEntry, formatConntrackList, formatConntrackStats } from '../../src/report/conntrack-text.js';
import { CtStatus } from '../../src/netfilter/skb.js';
import { parseIpv4 } from '../../src/util/ipv4.js';
import { ORACLE_DIR, describeShared } from '../helpers/shared.js';

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

/** All files under the captures folder whose name starts with `prefix`. */
function findFiles(prefix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith(prefix) && e.name.endsWith('.txt')) out.push(p);
    }
  };
  walk(path.join(ORACLE_DIR, 'captures'));
  return out.sort();
}

/** Parse one `-o extended` line into the dump structure (test-side reader, not the code under test). */
function parseLine(line: string): CtEntryDump {
  const words = line.trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(['ipv4', '2']);
  const proto = PROTOS[words[2]!]!;
  expect(Number(words[3])).toBe(proto);
  const timeout = Number(words[4]);
  let i = 5;
  let state = '';
  if (proto === 6) state = words[i++]!;
  const kv = (w: string): [string, string] => {
    const eq = w.indexOf('=');
    return [w.slice(0, eq), w.slice(eq + 1)];
  };
  const tuples: CtTupleDump[] = [];
  let status = CtStatus.SEEN_REPLY | CtStatus.CONFIRMED;
  let mark = -1;
  let zone = 0;
  let use = -1;
  let cur: CtTupleDump | null = null;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === '[UNREPLIED]') status &= ~CtStatus.SEEN_REPLY;
    else if (w === '[ASSURED]') status |= CtStatus.ASSURED;
    else {
      const [k, v] = kv(w);
      if (k === 'src') {
        cur = { src: parseIpv4(v), dst: 0, sport: 0, dport: 0, icmpType: -1, icmpCode: -1, icmpId: -1, packets: 0, bytes: 0 };
        tuples.push(cur);
      } else if (k === 'dst') cur!.dst = parseIpv4(v);
      else if (k === 'sport') cur!.sport = Number(v);
      else if (k === 'dport') cur!.dport = Number(v);
      else if (k === 'type') cur!.icmpType = Number(v);
      else if (k === 'code') cur!.icmpCode = Number(v);
      else if (k === 'id') cur!.icmpId = Number(v);
      else if (k === 'packets') cur!.packets = Number(v);
      else if (k === 'bytes') cur!.bytes = Number(v);
      else if (k === 'mark') mark = Number(v);
      else if (k === 'zone') zone = (3 << 16) | Number(v);
      else if (k === 'zone-orig') zone = (1 << 16) | Number(v);
      else if (k === 'zone-reply') zone = (2 << 16) | Number(v);
      else if (k === 'use') use = Number(v);
      else throw new Error(`unexpected field ${w}`);
    }
  }
  expect(tuples.length).toBe(2);
  return { id: 0, proto, timeout, state, original: tuples[0]!, reply: tuples[1]!, status, mark, zone, use, createdVcpu: 0, createdNs: 0, confirmedNs: 0 };
}

describeShared('conntrack -L text matches the kernel recordings', () => {
  const files = findFiles('conntrack-L');

  it('finds the recordings', () => {
    expect(files.length).toBeGreaterThanOrEqual(17);
  });

  it('prints every recorded line identically from its fields', () => {
    let lines = 0;
    const kinds = new Set<string>();
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const recorded = text.split('\n').filter((l) => l !== '');
      const entries = recorded.map(parseLine);
      for (let k = 0; k < recorded.length; k++) {
        expect(formatConntrackEntry(entries[k]!, { acct: true }), `${f}:${k + 1}`).toBe(recorded[k]);
        const e = entries[k]!;
        kinds.add(`${e.proto}/${e.state}/${(e.status & CtStatus.SEEN_REPLY) === 0 ? 'unreplied' : 'replied'}/${(e.status & CtStatus.ASSURED) === 0 ? '' : 'assured'}`);
        lines++;
      }
      expect(formatConntrackList(entries, { acct: true })).toBe(text.endsWith('\n') ? text : text + '\n');
    }
    expect(lines).toBeGreaterThan(700);
    // the forms the brief asks for: TCP states with ASSURED, UNREPLIED UDP and TCP, replied UDP, ICMP
    for (const k of ['6/TIME_WAIT/replied/assured', '6/SYN_SENT/unreplied/', '17//unreplied/', '17//replied/', '1//replied/']) expect(kinds).toContain(k);
  });

  it('omits the counters when accounting is off', () => {
    const line = fs.readFileSync(files[0]!, 'utf8').split('\n')[0]!;
    expect(formatConntrackEntry(parseLine(line), { acct: false })).toBe(line.replace(/ packets=\d+ bytes=\d+/g, ''));
  });
});

describeShared('conntrack -S text matches the kernel recordings', () => {
  it('prints every recorded statistics file byte for byte', () => {
    const files = findFiles('conntrack-S-').filter((f) => f.endsWith('.txt'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const rows = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const m = /^cpu=(\d+)\s+\t(.*) $/.exec(l);
          expect(m, `${f}: ${l}`).not.toBeNull();
          return m![2]!.split(' ').map((kv) => Number(kv.split('=')[1]));
        });
      const src = { cpus: rows.length, stat: (cpu: number, k: number) => rows[cpu]![k]! };
      expect(formatConntrackStats(src), f).toBe(text);
    }
  });
});
