// TTL and TOS/DSCP header targets, mirroring ipt_TTL.c ttl_tg and xt_DSCP.c tos_tg / dscp_tg: rewrite one
// byte of the IPv4 header and fix its checksum incrementally. Also ip_decrease_ttl for forwarding.

import { be16, putBe16 } from '../../util/bytes.js';
import { csumReplace2 } from '../../wire/checksum.js';
import type { PacketMeta } from '../../decode/meta.js';
import { TtlMode } from '../rules/target-data.js';

/** ipt_TTL: set, increment (saturating at 255) or decrement (saturating at 0) the TTL. HOT. */
export function applyTtlTarget(meta: PacketMeta, mode: number, value: number): void {
  const old = meta.ipTtl;
  let ttl = old;
  if (mode === TtlMode.SET) ttl = value;
  else if (mode === TtlMode.INC) ttl = Math.min(255, old + value);
  else if (mode === TtlMode.DEC) ttl = Math.max(0, old - value);
  if (ttl !== old) setTtl(meta, ttl);
}

/** ip_decrease_ttl: TTL - 1 with the kernel's incremental header checksum fix. HOT. */
export function decreaseTtl(meta: PacketMeta): void {
  setTtl(meta, meta.ipTtl - 1);
}

/** Write the TTL byte and update the header checksum over the (ttl, protocol) word. HOT. */
export function setTtl(meta: PacketMeta, ttl: number): void {
  const b = meta.data;
  const ip = meta.l3Off;
  const oldWord = be16(b, ip + 8);
  b[ip + 8] = ttl & 0xff;
  const check = csumReplace2(be16(b, ip + 10), oldWord, be16(b, ip + 8));
  putBe16(b, ip + 10, check);
  meta.ipTtl = ttl & 0xff;
  meta.ipCsum = check;
}

/** tos_tg / dscp_tg: new TOS byte, with the header checksum over the (version/ihl, tos) word. HOT. */
export function setTos(meta: PacketMeta, tos: number): void {
  const b = meta.data;
  const ip = meta.l3Off;
  if ((tos & 0xff) === b[ip + 1]) return;
  const oldWord = be16(b, ip);
  b[ip + 1] = tos & 0xff;
  const check = csumReplace2(be16(b, ip + 10), oldWord, be16(b, ip));
  putBe16(b, ip + 10, check);
  meta.ipTos = tos & 0xff;
  meta.ipCsum = check;
}
