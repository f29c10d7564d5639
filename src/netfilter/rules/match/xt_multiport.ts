// `-m multiport` (revision 1): up to 15 ports or ranges (a range counts twice) on the source, destination or
// either port (libxt_multiport.c parse_multi_ports_v1; net/netfilter/xt_multiport.c ports_match_v1).

import type { MatchModule, ParseContext } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { parsePort } from '../values.js';
import { protocolName } from '../names.js';
import { IpProto } from '../../../decode/meta.js';
import { be16 } from '../../../util/bytes.js';

/** XT_MULTI_PORTS. */
export const MULTI_PORTS = 15;

/** XT_MULTIPORT_SOURCE / DESTINATION / EITHER. */
export const MultiportSide = { SOURCE: 0, DESTINATION: 1, EITHER: 2 } as const;

/** struct xt_multiport_v1: ports[] with pflags[i] = 1 marking the two ends of a range. */
export interface MultiportData {
  side: number;
  count: number;
  ports: number[];
  pflags: number[];
  invert: boolean;
  given: boolean;
}

const PROTOS: readonly number[] = [IpProto.TCP, IpProto.UDP, IpProto.UDPLITE, IpProto.SCTP, 33];

function checkProto(ctx: ParseContext): string {
  if (ctx.ip.invProto) badValue(ctx, 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
  if (ctx.ip.proto === 0) badValue(ctx, "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
  return protocolName(ctx.ip.proto);
}

function parseList(ctx: ParseContext, d: MultiportData, arg: string, proto: string): void {
  const parts = arg.split(',');
  let i = 0;
  for (const part of parts) {
    if (i >= MULTI_PORTS) badValue(ctx, 'too many ports specified');
    const colon = part.indexOf(':');
    const lo = colon < 0 ? part : part.slice(0, colon);
    const p = parsePort(lo, proto);
    if (p < 0) badValue(ctx, `invalid port/service \`${lo}' specified`);
    if (colon >= 0) {
      if (i === MULTI_PORTS - 1) badValue(ctx, 'too many ports specified');
      const hs = part.slice(colon + 1);
      const h = parsePort(hs, proto);
      if (h < 0) badValue(ctx, `invalid port/service \`${hs}' specified`);
      if (p >= h) badValue(ctx, 'invalid portrange specified');
      d.ports[i] = p;
      d.pflags[i++] = 1;
      d.ports[i] = h;
      d.pflags[i++] = 1;
    } else {
      d.ports[i] = p;
      d.pflags[i++] = 0;
    }
  }
  d.count = i;
}

export const multiportMatch: MatchModule<MultiportData, null> = {
  kind: 'match',
  name: 'multiport',
  family: 0,
  options: [
    { name: 'source-ports', alias: ['sports'], args: 1, invert: true },
    { name: 'destination-ports', alias: ['dports'], args: 1, invert: true },
    { name: 'ports', args: 1, invert: true },
  ],
  init: () => ({ side: 0, count: 0, ports: [], pflags: [], invert: false, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'multiport can only have one option');
    const proto = checkProto(ctx);
    d.given = true;
    d.side = o.id;
    d.invert = o.invert;
    parseList(ctx, d, o.value, proto);
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'multiport expects an option');
  },
  check(_d, ctx) {
    if (!PROTOS.includes(ctx.ip.proto) || ctx.ip.invProto) {
      ctx.error(IssueCode.NEEDS_PROTOCOL, 'multiport match: only valid with -p tcp, udp, udplite, sctp or dccp');
    }
  },
  print(d) {
    const name = ['--sports', '--dports', '--ports'][d.side]!;
    const items: string[] = [];
    for (let i = 0; i < d.count; i++) {
      if (d.pflags[i] === 1) {
        items.push(`${d.ports[i]}:${d.ports[i + 1]}`);
        i++;
      } else items.push(String(d.ports[i]));
    }
    return `${d.invert ? '! ' : ''}${name} ${items.join(',')}`;
  },
  createState: noState,
  // HOT: multiport_mt / ports_match_v1
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0) return false;
    // skb_header_pointer(4 bytes at thoff): only a packet too short for them is dropped
    if (m.l4Len < 4 || m.ipHdrLen === 0) {
      env.hotdrop = 1;
      return false;
    }
    let src = m.sport;
    let dst = m.dport;
    if (m.l4Off < 0) {
      // a header the decoder left alone (DCCP) or refused (a TCP header cut short): the first four bytes
      // are the ports all the same; bytes the capture does not hold cannot match
      const at = m.l3Off + m.ipHdrLen;
      if (at + 4 > m.frameOff + m.caplen) return false;
      src = be16(m.data, at);
      dst = be16(m.data, at + 2);
    }
    const ports = d.ports;
    for (let i = 0; i < d.count; i++) {
      const s = ports[i]!;
      if (d.pflags[i] === 1) {
        const e = ports[++i]!;
        if (d.side === MultiportSide.SOURCE) {
          if (src >= s && src <= e) return !d.invert;
        } else if (d.side === MultiportSide.DESTINATION) {
          if (dst >= s && dst <= e) return !d.invert;
        } else if ((dst >= s && dst <= e) || (src >= s && src <= e)) return !d.invert;
      } else if (d.side === MultiportSide.SOURCE) {
        if (src === s) return !d.invert;
      } else if (d.side === MultiportSide.DESTINATION) {
        if (dst === s) return !d.invert;
      } else if (src === s || dst === s) return !d.invert;
    }
    return d.invert;
  },
};
