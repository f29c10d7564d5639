// The table as ctnetlink dumps it (`conntrack -L`): confirmed entries that are neither dying nor expired at
// the dump time, without the IPS_NAT_CLASH reply-only entries (their ORIGINAL node is a fake one the dump
// never reaches), with the remaining timeout in whole seconds (ctnetlink_dump_timeout: floor, >= 0).
// Order: by confirmation time, then record index (the kernel's hash order is not reproducible).

import { IpProto } from '../../decode/meta.js';
import { CtStatus } from '../skb.js';
import type { CtEntryDump, CtTupleDump } from './api.js';
import { TCP_STATE_NAMES } from './api.js';
import type { Conntrack } from './conntrack.js';
import {
  F_CREATE_NS,
  F_PKTS_O,
  F_STRIDE,
  F_VISIBLE_NS,
  R_CREATE_VCPU,
  R_OSRC,
  R_PROTO,
  R_STATE,
  R_STRIDE,
  R_ZONE,
  RecState,
  V_MARK,
  V_STATUS,
  V_STRIDE,
  V_TCP_STATE,
  VF_DEADLINE,
  VF_STRIDE,
} from './layout.js';

function tupleDump(c: Conntrack, ct: number, dir: number): CtTupleDump {
  const R = c.R;
  const b = ct * R_STRIDE + R_OSRC + dir * 4;
  const proto = R[ct * R_STRIDE + R_PROTO]!;
  const icmp = proto === IpProto.ICMP;
  const f = ct * F_STRIDE + F_PKTS_O + dir * 2;
  return {
    src: R[b]! >>> 0,
    dst: R[b + 1]! >>> 0,
    sport: icmp ? 0 : R[b + 2]!,
    dport: icmp ? 0 : R[b + 3]!,
    icmpType: icmp ? R[b + 3]! >>> 8 : -1,
    icmpCode: icmp ? R[b + 3]! & 0xff : -1,
    icmpId: icmp ? R[b + 2]! : -1,
    packets: c.F[f]!,
    bytes: c.F[f + 1]!,
  };
}

/** Every entry `conntrack -L` would list at `atNs`. */
export function dumpEntries(c: Conntrack, atNs: number): CtEntryDump[] {
  const R = c.R;
  const out: CtEntryDump[] = [];
  const hw = c.table.highWater();
  for (let ct = 0; ct < hw; ct++) {
    if (R[ct * R_STRIDE + R_STATE] !== RecState.CONFIRMED) continue;
    const status = c.V[ct * V_STRIDE + V_STATUS]!;
    if ((status & CtStatus.NAT_CLASH) !== 0) continue;
    const deadline = c.VF[ct * VF_STRIDE + VF_DEADLINE]!;
    if (atNs > deadline) continue; // expired: the dump evicts instead of listing
    const proto = R[ct * R_STRIDE + R_PROTO]!;
    out.push({
      id: ct,
      proto,
      timeout: Math.max(0, Math.floor((deadline - atNs) / 1e9)),
      state: proto === IpProto.TCP ? TCP_STATE_NAMES[c.V[ct * V_STRIDE + V_TCP_STATE]!] ?? 'NONE' : '',
      original: tupleDump(c, ct, 0),
      reply: tupleDump(c, ct, 1),
      status,
      mark: c.V[ct * V_STRIDE + V_MARK]! >>> 0,
      zone: R[ct * R_STRIDE + R_ZONE]! >>> 0,
      use: 1,
      createdVcpu: R[ct * R_STRIDE + R_CREATE_VCPU]!,
      createdNs: c.F[ct * F_STRIDE + F_CREATE_NS]!,
      confirmedNs: c.F[ct * F_STRIDE + F_VISIBLE_NS]!,
    });
  }
  out.sort((a, b) => a.confirmedNs - b.confirmedNs || a.id - b.id);
  return out;
}
