// The host model's records: interfaces (with bridge membership), addresses, routes, neighbours, listening
// sockets and the sysctls that change datapath behaviour. Built once from a snapshot; read-only afterwards.

import type { VxlanConfig } from './vxlan.js';

/** Route types (rtm_type, RTN_*), numbered as the kernel numbers them. */
export const RouteType = {
  UNSPEC: 0,
  UNICAST: 1,
  LOCAL: 2,
  BROADCAST: 3,
  ANYCAST: 4,
  MULTICAST: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  THROW: 9,
  NAT: 10,
  XRESOLVE: 11,
} as const;

export const ROUTE_TYPE_BY_NAME: Readonly<Record<string, number>> = {
  unicast: RouteType.UNICAST,
  local: RouteType.LOCAL,
  broadcast: RouteType.BROADCAST,
  anycast: RouteType.ANYCAST,
  multicast: RouteType.MULTICAST,
  blackhole: RouteType.BLACKHOLE,
  unreachable: RouteType.UNREACHABLE,
  prohibit: RouteType.PROHIBIT,
  throw: RouteType.THROW,
  nat: RouteType.NAT,
};

/** Route scopes (RT_SCOPE_*). */
export const Scope = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;
export const SCOPE_BY_NAME: Readonly<Record<string, number>> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export interface HostAddress {
  /** ifa_local, unsigned 32-bit. */
  local: number;
  prefixLen: number;
  /** Subnet broadcast (explicit, or derived for prefix < 31), 0 when none. */
  broadcast: number;
  scope: number;
  secondary: boolean;
}

export type IfaceKind = 'loopback' | 'bridge' | 'veth' | 'vxlan' | 'ether' | 'other';

export interface HostIface {
  /** Interned id (index into Host.ifaces). */
  id: number;
  name: string;
  ifindex: number;
  kind: IfaceKind;
  mtu: number;
  macHi: number;
  macLo: number;
  up: boolean;
  /** Id of the bridge this interface is a port of, or -1. */
  master: number;
  /** Bridge port flags (only for ports). */
  hairpin: boolean;
  learning: boolean;
  portForwarding: boolean;
  /** For bridges: per-bridge nf_call_iptables flag (ip -d link), and the ids of its ports. */
  nfCallIptables: boolean;
  ports: number[];
  /** IPv4 addresses in the kernel's list order (primaries first as `ip addr` prints them). */
  addrs: HostAddress[];
  /** IPv4 multicast groups joined (`ip -j maddr show`), or null when the snapshot does not say. */
  mcastGroups: Set<number> | null;
  /** Device group (dev->group, `ip link set DEV group N`; 0 is "default"), as `-m devgroup` reads it. */
  group: number;
  /** For VXLAN devices: their configuration and FDB remotes. */
  vxlan?: VxlanConfig;
  /** For macvlan devices: the lower device's id and the mode (bridge, private, vepa, passthru, source). */
  macvlan?: { lower: number; mode: string };
}

export interface HostRoute {
  table: 'main' | 'local' | string;
  type: number;
  dst: number;
  prefixLen: number;
  /** Gateway (0 when on-link). */
  gateway: number;
  /** Output interface id, or -1 for routes without a device (blackhole ...). */
  dev: number;
  /** Preferred source (0 when unset). */
  prefsrc: number;
  scope: number;
  /** Route MTU metric (0 = use the device MTU). */
  mtu: number;
  metric: number;
  /** Who installed it (`ip route`'s "protocol": kernel for the routes of addresses, boot by default). */
  protocol: string;
  /** Where the entry came from, for error messages: file and index. */
  origin: string;
  /**
   * A multipath route's nexthops, each as a route of its own (this route is the first of them), with
   * their cumulative upper bounds in the 31-bit hash space (fib_rebalance's nh_upper_bound).
   */
  nexthops?: HostRoute[];
  upperBounds?: number[];
}

export interface HostNeighbour {
  addr: number;
  dev: number;
  macHi: number;
  macLo: number;
  /** State words as `ip -j neigh` prints them (REACHABLE, STALE, PERMANENT ...). */
  state: string[];
}

export interface ListeningSocket {
  proto: 'tcp' | 'udp';
  /** 0 = any address. */
  addr: number;
  port: number;
}
