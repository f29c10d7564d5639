// Route decisions on the host model: ip_route_input_slow (input: local, broadcast, forward, or an error with
// the ICMP the kernel's ip_error would send) and ip_route_output_key (output: device, next hop, MTU and the
// source address the kernel picks). The result is stored on the Pkt (skb_dst).

import { RouteType } from '../../host/types.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { RtKind } from './pkt.js';
import { NONE } from '../skb.js';
import type { HostRoute } from '../../host/types.js';
import { formatIpv4 } from '../../util/ipv4.js';
import { DatapathEvent } from './sink.js';
import { usesDevice } from '../../host/fib-table.js';
import { ANY_DEV, RouteKey } from '../../host/fib-rules.js';
import { protoHasPorts } from '../../flow/hash.js';

/** The flow keys of lookups (one of each: lookups never nest, and each is filled right before use). */
const inKey = new RouteKey();
const srcKey = new RouteKey();
const outKey = new RouteKey();

/** Put `p`'s own addresses, TOS, protocol and ports (fib4_rules_early_flow_dissect's) into `k`. HOT. */
export function packetFlow(k: RouteKey, p: Pkt): RouteKey {
  const m = p.meta;
  k.daddr = m.daddr;
  k.saddr = m.saddr;
  k.tos = m.ipTos;
  k.proto = m.ipProto;
  const ports = m.l4Off >= 0 && protoHasPorts(m.ipProto);
  k.sport = ports ? m.sport : 0;
  k.dport = ports ? m.dport : 0;
  return k;
}

/** The flow of a received packet (ip_route_input_slow). HOT. */
function inputKey(p: Pkt, dev: number): RouteKey {
  const k = packetFlow(inKey.plain(0), p);
  k.iif = dev;
  k.mark = p.mark;
  return k;
}

/** Outcome of an input route lookup that did not give a usable route. */
export const RouteError = {
  OK: 0,
  /** Silently dropped (martian, blackhole, forwarding disabled). */
  SILENT: 1,
  /** ip_error would send ICMP net unreachable (no route). */
  NET_UNREACH: 2,
  /** ip_error: ICMP host unreachable (unreachable route). */
  HOST_UNREACH: 3,
  /** ip_error: ICMP communication administratively prohibited (prohibit route). */
  PROHIBITED: 4,
} as const;

function isMulticast(a: number): boolean {
  return (a & 0xf0000000) >>> 0 === 0xe0000000;
}
function isZeronet(a: number): boolean {
  return (a & 0xff000000) === 0;
}
function isLoopback(a: number): boolean {
  return (a & 0xff000000) >>> 0 === 0x7f000000;
}

/** fib_validate_source's answers below zero: -EINVAL (a martian source) and -EXDEV (reverse path filter). */
const SRC_MARTIAN = -1;
const SRC_RPF = -2;

/**
 * ip_route_input for `p` arriving on `dev`, in ip_route_input_rcu / ip_route_input_slow's order: multicast
 * destinations first, then martian sources and destinations, the FIB lookup, and fib_validate_source for
 * what is delivered locally, broadcast or forwarded. Fills p.rt* and returns a RouteError. HOT.
 */
export function routeInput(dp: Datapath, p: Pkt, dev: number): number {
  const m = p.meta;
  const daddr = m.daddr;
  const saddr = m.saddr;
  p.rtInput = 1;
  p.rtRedirect = 0;
  const onLo = dev === dp.lo;
  if (isMulticast(daddr)) {
    // ip_check_mc_rcu: only groups the device has joined are ours (no multicast routing is modelled)
    if (!dp.host.joinedGroup(dev, daddr)) return silent(dp, 'multicast group the host has not joined');
    const err = mcValidateSource(dp, p, dev, onLo);
    if (err !== RouteError.OK) return err;
    p.rtKind = RtKind.MULTICAST;
    p.rtDev = dev;
    return RouteError.OK;
  }
  if (isMulticast(saddr) || saddr === 0xffffffff) return silent(dp, 'martian source');
  if (daddr === 0xffffffff || (saddr === 0 && daddr === 0)) return broadcastInput(dp, p, dev);
  if (isZeronet(saddr)) return silent(dp, 'martian source');
  if (isZeronet(daddr)) return silent(dp, 'martian destination');
  if (!onLo && !localnetOk(dp, dev)) {
    if (isLoopback(daddr)) return silent(dp, 'martian destination (loopback address, route_localnet off)');
    if (isLoopback(saddr)) return silent(dp, 'martian source (loopback address, route_localnet off)');
  }
  const k = inputKey(p, dev);
  const r = pick(dp, dp.host.fib.route(k), k);
  if (dp.trace !== null) traceRoute(dp, p, 'input', r);
  const forwarding = dp.host.sysctls.ipForward === 1;
  if (r === null) return forwarding ? RouteError.NET_UNREACH : silent(dp, 'no route and forwarding disabled');
  switch (r.type) {
    case RouteType.BROADCAST:
      return broadcastInput(dp, p, dev);
    case RouteType.LOCAL: {
      const v = validateSource(dp, p, dev, NONE);
      if (v < 0) return sourceRefused(dp, v);
      p.rtKind = RtKind.LOCAL;
      p.rtDev = dp.lo >= 0 ? dp.lo : dev;
      p.rtNexthop = daddr;
      p.rtMtu = 65535;
      p.rtPrefsrc = r.prefsrc;
      return RouteError.OK;
    }
    case RouteType.UNICAST:
      break;
    case RouteType.UNREACHABLE:
      return forwarding ? RouteError.HOST_UNREACH : silent(dp, 'unreachable route');
    case RouteType.PROHIBIT:
      return forwarding ? RouteError.PROHIBITED : silent(dp, 'prohibit route');
    default:
      return silent(dp, 'blackhole route');
  }
  if (!forwarding) return silent(dp, 'forwarding disabled (net.ipv4.ip_forward = 0)');
  // __mkroute_input: the source is validated against the output device (redirect candidates get the full check)
  const v = validateSource(dp, p, dev, r.dev);
  if (v < 0) return sourceRefused(dp, v);
  p.rtKind = RtKind.FORWARD;
  p.rtDev = r.dev;
  p.rtNexthop = r.gateway !== 0 ? r.gateway : daddr;
  p.rtMtu = dp.host.routeMtu(r);
  p.rtPrefsrc = r.prefsrc;
  p.rtRedirect = v > 0 && doRedirect(dp, dev, r.dev, r.gateway, saddr) ? 1 : 0;
  return RouteError.OK;
}

/** IN_DEV_NET_ROUTE_LOCALNET: may 127/8 addresses be routed on `dev`? */
function localnetOk(dp: Datapath, dev: number): boolean {
  return dp.host.conf(dev).routeLocalnet;
}

/** brd_input: a broadcast is validated unless its source is 0.0.0.0. */
function broadcastInput(dp: Datapath, p: Pkt, dev: number): number {
  const saddr = p.meta.saddr;
  if (!isZeronet(saddr)) {
    const v = validateSource(dp, p, dev, NONE);
    if (v < 0) return sourceRefused(dp, v);
  }
  p.rtKind = RtKind.BROADCAST;
  p.rtDev = dev;
  return RouteError.OK;
}

/** ip_mc_validate_source. */
function mcValidateSource(dp: Datapath, p: Pkt, dev: number, onLo: boolean): number {
  const saddr = p.meta.saddr;
  if (isMulticast(saddr) || saddr === 0xffffffff) return silent(dp, 'martian source');
  if (!onLo && isLoopback(saddr) && !localnetOk(dp, dev)) return silent(dp, 'martian source (loopback address, route_localnet off)');
  if (isZeronet(saddr)) {
    // 0.0.0.0 may only speak to 224.0.0.0/24 or send IGMP
    if ((p.meta.daddr & 0xffffff00) >>> 0 !== 0xe0000000 && p.meta.ipProto !== 2) return silent(dp, 'martian source');
    return RouteError.OK;
  }
  const v = validateSource(dp, p, dev, NONE);
  return v < 0 ? sourceRefused(dp, v) : RouteError.OK;
}

function sourceRefused(dp: Datapath, v: number): number {
  return silent(dp, v === SRC_RPF ? 'reverse path filter (rp_filter): the route back to the source leaves by another device' : 'martian source (a local address, or no unicast route back)');
}

/**
 * fib_validate_source for `p` arriving on `dev` and leaving by `oif` (NONE when delivered locally):
 * SRC_MARTIAN or SRC_RPF when refused, else 1 when the source is directly connected through `dev` (which
 * lets a redirect be sent) and 0 otherwise. Without rp_filter, and unless the packet may earn a redirect,
 * the kernel only refuses sources that are addresses of the host (accept_local off, no custom local
 * routes); otherwise it routes back to the source as __fib_validate_source does — the reversed flow,
 * entering from `oif` (loopback for local delivery), with the mark only under src_valid_mark: loose mode
 * (2) needs any unicast route back, strict mode (1) one through `dev`.
 */
export function validateSource(dp: Datapath, p: Pkt, dev: number, oif: number): number {
  const host = dp.host;
  const m = p.meta;
  const saddr = m.saddr;
  const conf = host.conf(dev);
  const rpf = conf.rpFilter;
  if (rpf === 0 && (dev !== oif || !conf.sendRedirects)) {
    if (conf.acceptLocal) return 0;
    if (!host.fib.customLocalRoutes) return host.isIfAddr(saddr) ? SRC_MARTIAN : 0;
  }
  const k = srcKey.plain(saddr);
  k.saddr = m.daddr;
  k.iif = oif !== NONE ? oif : host.lo;
  k.mark = conf.srcValidMark ? p.mark : 0;
  k.tos = m.ipTos;
  k.proto = m.ipProto;
  if (m.l4Off >= 0 && protoHasPorts(m.ipProto)) {
    k.sport = m.dport;
    k.dport = m.sport;
  }
  const r = host.fib.route(k);
  // last_resort: no route back at all
  if (r === null) return rpf !== 0 ? SRC_RPF : 0;
  if (r.type !== RouteType.UNICAST && (r.type !== RouteType.LOCAL || !conf.acceptLocal)) return SRC_MARTIAN;
  // a nexthop uses dev: scope host (no gateway) means directly connected
  if (usesDevice(r, dev) || (r.type === RouteType.LOCAL && dev === dp.lo)) return r.gateway === 0 ? 1 : 0;
  if (host.iface(dev).addrs.length === 0) return rpf !== 0 ? SRC_RPF : 0;
  if (rpf === 1) return SRC_RPF;
  // loose mode, or a redirect candidate: is the source reachable through dev at all?
  k.oif = dev;
  const via = host.fib.route(k);
  k.oif = ANY_DEV;
  return via !== null && via.type === RouteType.UNICAST && via.gateway === 0 ? 1 : 0;
}

/**
 * __mkroute_input's IPSKB_DOREDIRECT, once fib_validate_source found the sender directly connected through
 * the input device: the packet leaves by the device it came in on, that device may send redirects, and the
 * medium is shared (the default) or sender and gateway are on one of its subnets.
 */
function doRedirect(dp: Datapath, inDev: number, outDev: number, gateway: number, saddr: number): boolean {
  if (outDev !== inDev) return false;
  const conf = dp.host.conf(inDev);
  if (!conf.sendRedirects) return false;
  return conf.sharedMedia || dp.host.onLink(inDev, saddr, gateway);
}

/** A silent drop inside the route lookup: the reason is kept for the drop annotation. */
function silent(dp: Datapath, reason: string): number {
  dp.routeDropReason = reason;
  return RouteError.SILENT;
}

/**
 * The flow of a locally generated packet `p` to `daddr` (routeOutput makes it enter from loopback:
 * flowi4_iif = LOOPBACK_IFINDEX), with `p`'s mark (set it first), no source chosen yet. Callers that know more (the source, TOS, protocol,
 * ports) fill it in before routeOutput. HOT.
 */
export function outputKey(p: Pkt, daddr: number): RouteKey {
  const k = outKey.plain(daddr);
  k.mark = p.mark;
  return k;
}

/**
 * ip_route_output_key for a locally generated packet to `daddr` (flow `k`, outputKey's by default): fills
 * p.rt* and returns the source address the route gives (fib_result_prefsrc / inet_select_addr; the
 * destination itself for local routes), or -1 when there is no usable route. HOT.
 */
export function routeOutput(dp: Datapath, p: Pkt, daddr: number, k: RouteKey = outputKey(p, daddr)): number {
  p.rtInput = 0;
  k.daddr = daddr;
  k.iif = dp.lo;
  const r = pick(dp, dp.host.fib.route(k), k);
  if (dp.trace !== null) traceRoute(dp, p, 'output', r);
  if (r === null) return -1;
  if (r.type === RouteType.LOCAL) {
    p.rtKind = RtKind.OUTPUT;
    p.rtDev = dp.lo;
    p.rtNexthop = daddr;
    p.rtMtu = dp.lo >= 0 ? dp.host.iface(dp.lo).mtu : 65535;
    p.rtPrefsrc = r.prefsrc;
    return r.prefsrc !== 0 ? r.prefsrc : daddr;
  }
  if (r.type !== RouteType.UNICAST && r.type !== RouteType.BROADCAST) return -1;
  p.rtKind = r.type === RouteType.BROADCAST ? RtKind.BROADCAST : RtKind.OUTPUT;
  p.rtDev = r.dev;
  p.rtNexthop = r.gateway !== 0 ? r.gateway : daddr;
  p.rtMtu = dp.host.routeMtu(r);
  p.rtPrefsrc = r.prefsrc;
  if (r.prefsrc !== 0) return r.prefsrc;
  return dp.host.selectAddr(r.dev, r.gateway !== 0 ? r.gateway : daddr, r.scope);
}

/** dst_mtu of the route back to `addr` (tcpmss_reverse_mtu: an output lookup of `addr` alone), 0xffffffff when there is none. */
export function reverseMtu(dp: Datapath, addr: number): number {
  const k = outKey.plain(addr);
  k.iif = dp.lo;
  const r = pick(dp, dp.host.fib.route(k), k);
  if (r === null) return 0xffffffff;
  if (r.type === RouteType.LOCAL) return dp.lo >= 0 ? dp.host.iface(dp.lo).mtu : 65535;
  return dp.host.routeMtu(r);
}

/** fib_select_path: a multipath route's nexthop for flow `k`. HOT. */
function pick(dp: Datapath, r: HostRoute | null, k: RouteKey): HostRoute | null {
  return r !== null && r.nexthops !== undefined ? dp.nexthops.choose(r, k) : r;
}

/** For a traced packet: the route a lookup gave, its table and the ip rule that chose it. */
function traceRoute(dp: Datapath, p: Pkt, what: string, r: HostRoute | null): void {
  const fib = dp.host.fib;
  const rule = fib.lastRule >= 0 ? `, ip rule ${fib.rules[fib.lastRule]!.pref}` : '';
  let text: string;
  const by = fib.lastRule >= 0 ? ` by ip rule ${fib.rules[fib.lastRule]!.pref}` : '';
  if (r === null) text = fib.lastRule >= 0 ? `${what}: unreachable${by}` : `${what}: no route`;
  else if (r.table === '') text = `${what}: ${r.type === RouteType.PROHIBIT ? 'prohibit' : 'blackhole'}${by}`;
  else {
    const type = Object.keys(RouteType).find((k) => RouteType[k as keyof typeof RouteType] === r.type)?.toLowerCase() ?? String(r.type);
    const via = r.gateway !== 0 ? ` via ${formatIpv4(r.gateway)}` : '';
    const dev = r.dev >= 0 ? ` dev ${dp.host.iface(r.dev).name}` : '';
    text = `${what}: ${type} ${formatIpv4(r.dst)}/${r.prefixLen}${via}${dev} (table ${r.table}${rule})`;
  }
  dp.sink.event(DatapathEvent.ROUTE, p, 0, 0, text);
}
