// Builds a DockerHost from counts (B bridges, P published ports), deterministically: docker0 172.17.0.0/16
// first, then user bridges br-<12 hex> over Docker's default address pools (172.18–31/16, then 192.168/20s,
// then 10.x.y.0/24s), one container per published port, spread round-robin over the bridges.

import { createHash } from 'node:crypto';
import { formatIpv4, parseIpv4 } from '../../../util/ipv4.js';
import { UsageError } from '../../../util/errors.js';
import type { DockerContainer, DockerHost, DockerLayout, DockerNetwork, DockerPort } from './docker.js';

/** Options of `nfreplay rules gen docker`. */
export interface DockerSynthOptions {
  /** Number of bridge networks including docker0 (≥ 1). */
  bridges: number;
  /** Number of published ports (one container each). */
  ports: number;
  layout: DockerLayout;
  userlandProxy: boolean;
}

export const DOCKER_DEFAULTS: DockerSynthOptions = { bridges: 2, ports: 4, layout: 'classic', userlandProxy: true };

/** Upper bounds that keep every generated address and port valid. */
export const DOCKER_LIMITS = { bridges: 4096, ports: 50000 } as const;

const CONTAINER_PORTS = [80, 443, 8080, 5432, 6379, 3306] as const;

/** Subnet of the i-th network: [network address, prefix length]. */
function subnetOf(i: number): [number, number] {
  if (i < 15) return [parseIpv4(`172.${17 + i}.0.0`), 16];
  if (i < 31) return [parseIpv4(`192.168.${(i - 15) * 16}.0`), 20];
  const k = i - 31;
  return [parseIpv4(`10.${200 + (k >>> 8)}.${k & 255}.0`), 24];
}

/** Bridge name of the i-th network: docker0, then br- and 12 hex digits of a network id. */
export function bridgeName(i: number): string {
  if (i === 0) return 'docker0';
  return 'br-' + createHash('sha256').update(`network-${i}`).digest('hex').slice(0, 12);
}

/** A DockerHost with `bridges` networks and `ports` published ports. */
export function synthesizeDocker(opts: DockerSynthOptions): DockerHost {
  const { bridges, ports } = opts;
  if (!Number.isInteger(bridges) || bridges < 1 || bridges > DOCKER_LIMITS.bridges) {
    throw new UsageError(`bridges must be an integer between 1 and ${DOCKER_LIMITS.bridges}, got ${bridges}`);
  }
  if (!Number.isInteger(ports) || ports < 0 || ports > DOCKER_LIMITS.ports) {
    throw new UsageError(`ports must be an integer between 0 and ${DOCKER_LIMITS.ports}, got ${ports}`);
  }
  const networks: DockerNetwork[] = [];
  for (let i = 0; i < bridges; i++) {
    const [net, len] = subnetOf(i);
    networks.push({ bridge: bridgeName(i), subnet: `${formatIpv4(net)}/${len}`, internal: false, icc: true, masquerade: true, snatAddress: null });
  }
  const containers: DockerContainer[] = [];
  const published: DockerPort[] = [];
  for (let j = 0; j < ports; j++) {
    const network = j % bridges;
    const [net, len] = subnetOf(network);
    const host = 2 + Math.floor(j / bridges); // .1 is the bridge's own address
    if (host >= 2 ** (32 - len) - 1) {
      throw new UsageError(`ports: ${ports} containers do not fit in the subnets of ${bridges} bridges`);
    }
    containers.push({ network, address: formatIpv4((net + host) >>> 0) });
    const udp = j % 5 === 4;
    published.push({
      container: j,
      proto: udp ? 'udp' : 'tcp',
      hostIp: '0.0.0.0',
      hostPort: 8000 + j,
      containerPort: udp ? 53 : CONTAINER_PORTS[j % CONTAINER_PORTS.length]!,
    });
  }
  return {
    layout: opts.layout,
    userlandProxy: opts.userlandProxy,
    forwardPolicy: 'DROP',
    userChain: true,
    networks,
    containers,
    ports: published,
  };
}
