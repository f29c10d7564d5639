// Docker host rule sets as the daemon writes them (reference section 8.1). Two layouts: "classic" — Docker
// 20.10–27 libnetwork (setup_ip_tables_linux.go, firewall_linux.go): FORWARD blocks per bridge, DOCKER-USER,
// DOCKER-ISOLATION-STAGE-1/2 — and "modern" — Docker 28+ iptabler (network.go, port.go, endpoint.go):
// DOCKER-FORWARD / DOCKER-BRIDGE / DOCKER-CT / DOCKER-INTERNAL and raw-table direct-access drops.

import { SaveTable } from './save-text.js';

/** One bridge network, in creation order (the oldest first; docker0 is normally the first). */
export interface DockerNetwork {
  /** Bridge device name: docker0, br-<12 hex>. */
  bridge: string;
  /** IPv4 subnet "a.b.c.d/len" (network address, as Docker prints it). */
  subnet: string;
  /** `--internal`: no NAT, no published ports, isolation drops only. */
  internal: boolean;
  /** Inter-container communication (com.docker.network.bridge.enable_icc). */
  icc: boolean;
  /** ip-masquerade: MASQUERADE (or SNAT with snatAddress) for traffic leaving the bridge. */
  masquerade: boolean;
  /** host_ipv4: SNAT --to-source this address instead of MASQUERADE. */
  snatAddress: string | null;
}

/** A container endpoint on a network. */
export interface DockerContainer {
  network: number;
  address: string;
}

/** A published port: host [hostIp:]hostPort → container:containerPort. */
export interface DockerPort {
  container: number;
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export type DockerLayout = 'classic' | 'modern';

/** Everything the generator needs; `synthesizeDocker` builds one from counts. */
export interface DockerHost {
  layout: DockerLayout;
  /** Docker's userland proxy; false is "hairpin" NAT mode. */
  userlandProxy: boolean;
  /** filter FORWARD policy: Docker sets DROP when it had to enable ip_forward itself. */
  forwardPolicy: 'ACCEPT' | 'DROP';
  /** Modern layout only: the daemon's DOCKER-USER chain and its FORWARD jump (classic always has it). */
  userChain: boolean;
  networks: DockerNetwork[];
  containers: DockerContainer[];
  ports: DockerPort[];
}

/** The canonical iptables-save text of a Docker host. */
export function dockerRules(host: DockerHost): string {
  return host.layout === 'classic' ? classicRules(host) : modernRules(host);
}

function portSpec(p: DockerPort, port: number): string {
  return `-p ${p.proto} -m ${p.proto} --dport ${port}`;
}

function hostIpArg(p: DockerPort): string {
  return p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `;
}

function natOutRule(n: DockerNetwork): string {
  return n.snatAddress !== null ? `-s ${n.subnet} ! -o ${n.bridge} -j SNAT --to-source ${n.snatAddress}` : `-s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`;
}

function hairpinMasqRule(n: DockerNetwork): string {
  const target = n.snatAddress !== null ? `SNAT --to-source ${n.snatAddress}` : 'MASQUERADE';
  return `-o ${n.bridge} -m addrtype --src-type LOCAL -j ${target}`;
}

/** Docker 20.10–27 (section 8.1, verified on 20.10.24). */
function classicRules(host: DockerHost): string {
  const nat = new SaveTable('nat').chain('DOCKER');
  const filter = new SaveTable('filter', { FORWARD: host.forwardPolicy });
  for (const c of ['DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER']) filter.chain(c);
  nat.append('PREROUTING', '-m addrtype --dst-type LOCAL -j DOCKER');
  nat.append('OUTPUT', host.userlandProxy ? '! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER' : '-m addrtype --dst-type LOCAL -j DOCKER');
  // the daemon keeps these two jumps at the top of FORWARD; network blocks are inserted just below them
  filter.append('FORWARD', '-j DOCKER-USER').append('FORWARD', '-j DOCKER-ISOLATION-STAGE-1');
  filter.append('DOCKER-ISOLATION-STAGE-1', '-j RETURN').append('DOCKER-ISOLATION-STAGE-2', '-j RETURN');
  filter.append('DOCKER-USER', '-j RETURN');
  const iccDrops: string[] = [];
  for (const n of host.networks) {
    const br = n.bridge;
    if (n.internal) {
      if (n.icc) filter.insert('FORWARD', `-i ${br} -o ${br} -j ACCEPT`, 2);
      else iccDrops.push(`-i ${br} -o ${br} -j DROP`);
      filter.insert('DOCKER-ISOLATION-STAGE-1', `! -d ${n.subnet} -i ${br} -j DROP`);
      filter.insert('DOCKER-ISOLATION-STAGE-1', `! -s ${n.subnet} -o ${br} -j DROP`);
      continue;
    }
    if (n.masquerade) nat.insert('POSTROUTING', natOutRule(n));
    if (!host.userlandProxy) nat.insert('POSTROUTING', hairpinMasqRule(n));
    if (host.userlandProxy) nat.insert('DOCKER', `-i ${br} -j RETURN`);
    const block = [`-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-o ${br} -j DOCKER`, `-i ${br} ! -o ${br} -j ACCEPT`];
    if (n.icc) block.push(`-i ${br} -o ${br} -j ACCEPT`);
    else iccDrops.push(`-i ${br} -o ${br} -j DROP`);
    for (let i = block.length - 1; i >= 0; i--) filter.insert('FORWARD', block[i]!, 2);
    filter.insert('DOCKER-ISOLATION-STAGE-1', `-i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`);
    filter.insert('DOCKER-ISOLATION-STAGE-2', `-o ${br} -j DROP`);
  }
  for (const r of iccDrops) filter.append('FORWARD', r);
  for (const p of host.ports) {
    const c = host.containers[p.container]!;
    const n = host.networks[c.network]!;
    if (n.internal) continue;
    const notIn = host.userlandProxy ? `! -i ${n.bridge} ` : '';
    nat.append('DOCKER', `${hostIpArg(p)}${notIn}${portSpec(p, p.hostPort)} -j DNAT --to-destination ${c.address}:${p.containerPort}`);
    filter.append('DOCKER', `-d ${c.address}/32 ! -i ${n.bridge} -o ${n.bridge} ${portSpec(p, p.containerPort)} -j ACCEPT`);
    nat.append('POSTROUTING', `-s ${c.address}/32 -d ${c.address}/32 ${portSpec(p, p.containerPort)} -j MASQUERADE`);
  }
  return nat.render() + filter.render();
}

/** Docker 28+ iptabler layout (the moby TestIptabler goldens), generalised to many networks. */
function modernRules(host: DockerHost): string {
  const raw = new SaveTable('raw');
  const filter = new SaveTable('filter', { FORWARD: host.forwardPolicy });
  const nat = new SaveTable('nat').chain('DOCKER');
  for (const c of ['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL']) filter.chain(c);
  if (host.userChain) filter.chain('DOCKER-USER').append('FORWARD', '-j DOCKER-USER');
  filter.append('FORWARD', '-j DOCKER-FORWARD');
  filter.append('DOCKER-FORWARD', '-j DOCKER-CT').append('DOCKER-FORWARD', '-j DOCKER-INTERNAL').append('DOCKER-FORWARD', '-j DOCKER-BRIDGE');
  nat.append('PREROUTING', '-m addrtype --dst-type LOCAL -j DOCKER');
  nat.append('OUTPUT', host.userlandProxy ? '! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER' : '-m addrtype --dst-type LOCAL -j DOCKER');
  for (const n of host.networks) {
    const br = n.bridge;
    if (n.internal) {
      if (n.icc) filter.append('DOCKER-FORWARD', `-i ${br} -o ${br} -j ACCEPT`);
      else filter.append('DOCKER-FORWARD', `-i ${br} -o ${br} -j DROP`);
      filter.append('DOCKER-INTERNAL', `! -s ${n.subnet} -o ${br} -j DROP`);
      filter.append('DOCKER-INTERNAL', `! -d ${n.subnet} -i ${br} -j DROP`);
      continue;
    }
    // setupNonInternalNetworkRules: NAT rule inserted, then the hairpin rule inserted above it
    if (n.masquerade) nat.insert('POSTROUTING', natOutRule(n));
    if (!host.userlandProxy) nat.insert('POSTROUTING', hairpinMasqRule(n));
    if (n.icc) filter.append('DOCKER-FORWARD', `-i ${br} -j ACCEPT`);
    else filter.append('DOCKER-FORWARD', `-i ${br} -o ${br} -j DROP`).append('DOCKER-FORWARD', `-i ${br} ! -o ${br} -j ACCEPT`);
    filter.append('DOCKER', `! -i ${br} -o ${br} -j DROP`);
    filter.append('DOCKER-CT', `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    filter.append('DOCKER-BRIDGE', `-o ${br} -j DOCKER`);
  }
  for (let ci = 0; ci < host.containers.length; ci++) {
    const c = host.containers[ci]!;
    const n = host.networks[c.network]!;
    if (n.internal) continue;
    raw.append('PREROUTING', `-d ${c.address}/32 ! -i ${n.bridge} -j DROP`);
    for (const p of host.ports) {
      if (p.container !== ci) continue;
      if (p.hostIp.startsWith('127.')) raw.append('PREROUTING', `-d ${p.hostIp}/32 ! -i lo ${portSpec(p, p.hostPort)} -j DROP`);
      const notIn = host.userlandProxy ? `! -i ${n.bridge} ` : '';
      nat.append('DOCKER', `${hostIpArg(p)}${notIn}${portSpec(p, p.hostPort)} -j DNAT --to-destination ${c.address}:${p.containerPort}`);
      if (!host.userlandProxy) nat.append('POSTROUTING', `-s ${c.address}/32 -d ${c.address}/32 ${portSpec(p, p.containerPort)} -j MASQUERADE`);
      // per-port ACCEPTs are inserted at the top of DOCKER, above the per-network default DROPs
      filter.insert('DOCKER', `-d ${c.address}/32 ! -i ${n.bridge} -o ${n.bridge} ${portSpec(p, p.containerPort)} -j ACCEPT`);
    }
  }
  return raw.render() + filter.render() + nat.render();
}
