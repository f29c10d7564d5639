// Route decisions on the host model: ip_route_input_slow (input: local, broadcast, forward, or an error with
// the ICMP the kernel's ip_error would send) and ip_route_output_key (output: device, next hop, MTU and the
// source address the kernel picks). The result is stored on the Pkt (skb_dst).

import { RouteType } from '../../host/types.js';
import { devConfOn } from '../../host/sysctl.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { RtKind } from './pkt.js';

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

/** ip_route_input for `p` arriving on `dev`: fills p.rt* and returns a RouteError. HOT. */
export function routeInput(dp: Datapath, p: Pkt, dev: number): number {
  const m = p.meta;
  const daddr = m.daddr;
  const saddr = m.saddr;
  p.rtInput = 1;
  p.rtRedirect = 0;
  if (isMulticast(saddr) || saddr === 0xffffffff) return silent(dp, 'martian source');
  if (daddr === 0xffffffff || (saddr === 0 && daddr === 0)) return broadcast(p, dev);
  if (isZeronet(saddr)) return silent(dp, 'martian source');
  if (isZeronet(daddr)) return silent(dp, 'martian destination');
  const onLo = dev === dp.lo;
  if (!onLo && (isLoopback(daddr) || isLoopback(saddr))) return silent(dp, 'martian (loopback address on a non-loopback device)');
  if (isMulticast(daddr)) {
    // ip_check_mc_rcu: only groups the device has joined are ours (no multicast routing is modelled)
    if (!dp.host.joinedGroup(dev, daddr)) return silent(dp, 'multicast group the host has not joined');
    p.rtKind = RtKind.MULTICAST;
    p.rtDev = dev;
    return RouteError.OK;
  }
  const r = dp.host.fib.lookup(daddr);
  const forwarding = dp.host.sysctls.ipForward === 1;
  if (r === null) return forwarding ? RouteError.NET_UNREACH : silent(dp, 'no route and forwarding disabled');
  switch (r.type) {
    case RouteType.BROADCAST:
      return broadcast(p, dev);
    case RouteType.LOCAL:
      p.rtKind = RtKind.LOCAL;
      p.rtDev = dp.lo >= 0 ? dp.lo : dev;
      p.rtNexthop = daddr;
      p.rtMtu = 65535;
      p.rtPrefsrc = r.prefsrc;
      return RouteError.OK;
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
  p.rtKind = RtKind.FORWARD;
  p.rtDev = r.dev;
  p.rtNexthop = r.gateway !== 0 ? r.gateway : daddr;
  p.rtMtu = dp.host.routeMtu(r);
  p.rtPrefsrc = r.prefsrc;
  p.rtRedirect = doRedirect(dp, dev, r.dev, r.gateway, saddr) ? 1 : 0;
  return RouteError.OK;
}

/**
 * __mkroute_input's IPSKB_DOREDIRECT: the packet leaves by the device it came in on, that device may send
 * redirects, fib_validate_source found the sender directly connected through it (a route without gateway,
 * nexthop scope host), and the medium is shared (the default) or sender and gateway are on one of its subnets.
 */
function doRedirect(dp: Datapath, inDev: number, outDev: number, gateway: number, saddr: number): boolean {
  if (outDev !== inDev) return false;
  const name = dp.host.iface(inDev).name;
  const sys = dp.host.sysctls;
  if (!devConfOn(sys, name, 'send_redirects')) return false;
  const back = dp.host.fib.lookup(saddr);
  if (back === null || back.type !== RouteType.UNICAST || back.dev !== inDev || back.gateway !== 0) return false;
  return devConfOn(sys, name, 'shared_media') || dp.host.onLink(inDev, saddr, gateway);
}

function broadcast(p: Pkt, dev: number): number {
  p.rtKind = RtKind.BROADCAST;
  p.rtDev = dev;
  return RouteError.OK;
}

/** A silent drop inside the route lookup: the reason is kept for the drop annotation. */
function silent(dp: Datapath, reason: string): number {
  dp.routeDropReason = reason;
  return RouteError.SILENT;
}

/**
 * ip_route_output_key for a locally generated packet to `daddr`: fills p.rt* and returns the source address
 * the route gives (fib_result_prefsrc / inet_select_addr; the destination itself for local routes), or -1
 * when there is no route. HOT.
 */
export function routeOutput(dp: Datapath, p: Pkt, daddr: number): number {
  p.rtInput = 0;
  const r = dp.host.fib.lookup(daddr);
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

/** dst_mtu of the route back to `addr` (tcpmss_reverse_mtu): 0xffffffff when there is none. */
export function reverseMtu(dp: Datapath, addr: number): number {
  const r = dp.host.fib.lookup(addr);
  if (r === null) return 0xffffffff;
  if (r.type === RouteType.LOCAL) return dp.lo >= 0 ? dp.host.iface(dp.lo).mtu : 65535;
  return dp.host.routeMtu(r);
}
