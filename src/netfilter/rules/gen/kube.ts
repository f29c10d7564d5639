// kube-proxy iptables-mode rule sets (reference section 8.2; kubernetes pkg/proxy/iptables/proxier.go
// syncProxyRules / writeServiceToEndpointRules, Cluster traffic policy, cluster-CIDR local detector) for
// S service ports × E endpoints, with optional NodePorts, as iptables-save prints them after a restore.

import { formatIpv4, parseIpv4 } from '../../../util/ipv4.js';
import { UsageError } from '../../../util/errors.js';
import { endpointChainName, externalChainName, serviceChainName } from './kube-names.js';
import { SaveTable, kubeProbabilityText, printProbability, quoteComment, storedProbability } from './save-text.js';

/** One service port and its endpoints. */
export interface KubeService {
  /** "namespace/name:port" (kube-proxy's ServicePortName.String()). */
  name: string;
  proto: 'tcp' | 'udp';
  /** Cluster IP (unsigned 32-bit) and port. */
  vip: number;
  port: number;
  /** NodePort, or 0. */
  nodePort: number;
  /** Endpoint addresses (unsigned 32-bit) and the target port. */
  endpoints: number[];
  targetPort: number;
}

/** A kube-proxy node's view: services plus the cluster CIDR of its local-traffic detector. */
export interface KubeCluster {
  services: KubeService[];
  /** Cluster (pod) CIDR "a.b.c.d/len" for the `! -s` masquerade rule. */
  clusterCidr: string;
  /** masqueradeBit → mark 1 << bit (kube-proxy default 14 = 0x4000). */
  masqueradeBit: number;
}

/** Options of `nfreplay rules gen kube`. */
export interface KubeSynthOptions {
  services: number;
  endpoints: number;
  nodePorts: boolean;
}

export const KUBE_DEFAULTS: KubeSynthOptions = { services: 100, endpoints: 2, nodePorts: false };
export const KUBE_LIMITS = { services: 100000, endpoints: 1000, totalEndpoints: 4000000 } as const;

/** Port range of NodePorts (--service-node-port-range default). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** kube-proxy's largeClusterEndpointsThreshold: above it, per-endpoint comments are dropped. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

const FIXED: readonly { name: string; proto: 'tcp' | 'udp'; vip: string; port: number; targetPort: number }[] = [
  { name: 'default/kubernetes:https', proto: 'tcp', vip: '10.96.0.1', port: 443, targetPort: 6443 },
  { name: 'kube-system/kube-dns:dns', proto: 'udp', vip: '10.96.0.10', port: 53, targetPort: 53 },
  { name: 'kube-system/kube-dns:dns-tcp', proto: 'tcp', vip: '10.96.0.10', port: 53, targetPort: 53 },
  { name: 'kube-system/kube-dns:metrics', proto: 'tcp', vip: '10.96.0.10', port: 9153, targetPort: 9153 },
];

const APP_PORTS: readonly { port: number; portName: string; targetPort: number }[] = [
  { port: 80, portName: 'http', targetPort: 8080 },
  { port: 443, portName: 'https', targetPort: 8443 },
  { port: 8080, portName: 'web', targetPort: 8080 },
];

/**
 * A deterministic cluster: the kubernetes and kube-dns service ports first, then `svc-N` services in
 * namespaces ns-0..ns-63 (every tenth one UDP/53), VIPs from 10.96.0.0/12, endpoints from 10.244.0.0/16
 * (10.128.0.0/10 when more than 64,000 endpoints), NodePorts 30000+i for the first 2,768 services.
 */
export function synthesizeKube(opts: KubeSynthOptions): KubeCluster {
  const { services: s, endpoints: e } = opts;
  if (!Number.isInteger(s) || s < 1 || s > KUBE_LIMITS.services) {
    throw new UsageError(`services must be an integer between 1 and ${KUBE_LIMITS.services}, got ${s}`);
  }
  if (!Number.isInteger(e) || e < 0 || e > KUBE_LIMITS.endpoints) {
    throw new UsageError(`endpoints must be an integer between 0 and ${KUBE_LIMITS.endpoints}, got ${e}`);
  }
  const total = s * e;
  if (total > KUBE_LIMITS.totalEndpoints) throw new UsageError(`services × endpoints must be at most ${KUBE_LIMITS.totalEndpoints}, got ${total}`);
  const small = total <= 64000;
  const podBase = small ? parseIpv4('10.244.0.0') : parseIpv4('10.128.0.0');
  const clusterCidr = small ? '10.244.0.0/16' : '10.128.0.0/10';
  let ep = 0;
  const nextPod = (): number => {
    // 250 pods per /24 node subnet, hosts .2 to .251
    const ip = (podBase + Math.floor(ep / 250) * 256 + 2 + (ep % 250)) >>> 0;
    ep++;
    return ip;
  };
  const services: KubeService[] = [];
  for (let i = 0; i < s; i++) {
    let name: string;
    let proto: 'tcp' | 'udp';
    let vip: number;
    let port: number;
    let targetPort: number;
    const f = FIXED[i];
    if (f !== undefined) {
      ({ name, proto, port, targetPort } = f);
      vip = parseIpv4(f.vip);
    } else {
      const k = i - FIXED.length;
      vip = (parseIpv4('10.96.1.0') + k) >>> 0;
      if (k % 10 === 9) {
        name = `ns-${k % 64}/svc-${k}:dns`;
        proto = 'udp';
        port = 53;
        targetPort = 5353;
      } else {
        const a = APP_PORTS[k % APP_PORTS.length]!;
        name = `ns-${k % 64}/svc-${k}:${a.portName}`;
        proto = 'tcp';
        port = a.port;
        targetPort = a.targetPort;
      }
    }
    const endpoints: number[] = [];
    for (let j = 0; j < e; j++) endpoints.push(nextPod());
    const nodePort = opts.nodePorts && i <= NODE_PORT_MAX - NODE_PORT_MIN ? NODE_PORT_MIN + i : 0;
    services.push({ name, proto, vip, port, nodePort, endpoints, targetPort });
  }
  return { services, clusterCidr, masqueradeBit: 14 };
}

/** The canonical iptables-save text (mangle, nat, filter) kube-proxy leaves on a node. */
export function kubeRules(cluster: KubeCluster): string {
  const mark = `0x${(1 << cluster.masqueradeBit).toString(16)}`;
  const mangle = new SaveTable('mangle').chain('KUBE-PROXY-CANARY');
  const nat = new SaveTable('nat');
  const filter = new SaveTable('filter');
  for (const c of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) nat.chain(c);
  for (const c of ['KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']) filter.chain(c);

  nat.append('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.append('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.append('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  nat.append('KUBE-MARK-MASQ', `-j MARK --set-xmark ${mark}/${mark}`);
  nat.append('KUBE-POSTROUTING', `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.append('KUBE-POSTROUTING', `-j MARK --set-xmark ${mark}/0x0`);
  nat.append('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');

  filter.append('INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL');
  filter.append('INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS');
  filter.append('INPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES');
  filter.append('INPUT', '-j KUBE-FIREWALL');
  filter.append('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL');
  filter.append('FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
  filter.append('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  filter.append('FORWARD', '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES');
  filter.append('OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL');
  filter.append('OUTPUT', '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  filter.append('OUTPUT', '-j KUBE-FIREWALL');
  filter.append(
    'KUBE-FIREWALL',
    '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  );

  let totalEndpoints = 0;
  for (const svc of cluster.services) totalEndpoints += svc.endpoints.length;
  const large = totalEndpoints > LARGE_CLUSTER_ENDPOINTS;

  for (const svc of cluster.services) {
    const p = svc.proto;
    const vip = `${formatIpv4(svc.vip)}/32`;
    const svcChain = serviceChainName(svc.name, p);
    const extChain = externalChainName(svc.name, p);
    const clusterIpComment = quoteComment(`${svc.name} cluster IP`);
    if (svc.endpoints.length === 0) {
      const why = quoteComment(`${svc.name} has no endpoints`);
      filter.append('KUBE-SERVICES', `-d ${vip} -p ${p} -m comment --comment ${why} -m ${p} --dport ${svc.port} -j REJECT --reject-with icmp-port-unreachable`);
      if (svc.nodePort !== 0) {
        filter.append(
          'KUBE-EXTERNAL-SERVICES',
          `-p ${p} -m comment --comment ${why} -m addrtype --dst-type LOCAL -m ${p} --dport ${svc.nodePort} -j REJECT --reject-with icmp-port-unreachable`,
        );
      }
      continue;
    }
    nat.append('KUBE-SERVICES', `-d ${vip} -p ${p} -m comment --comment ${clusterIpComment} -m ${p} --dport ${svc.port} -j ${svcChain}`);
    if (svc.nodePort !== 0) {
      nat.append('KUBE-NODEPORTS', `-p ${p} -m comment --comment ${quoteComment(svc.name)} -m ${p} --dport ${svc.nodePort} -j ${extChain}`);
      nat.chain(extChain);
      nat.append(extChain, `-m comment --comment ${quoteComment(`masquerade traffic for ${svc.name} external destinations`)} -j KUBE-MARK-MASQ`);
      nat.append(extChain, `-j ${svcChain}`);
    }
    nat.chain(svcChain);
    nat.append(svcChain, `! -s ${cluster.clusterCidr} -d ${vip} -p ${p} -m comment --comment ${clusterIpComment} -m ${p} --dport ${svc.port} -j KUBE-MARK-MASQ`);
    const n = svc.endpoints.length;
    for (let i = 0; i < n; i++) {
      const endpoint = `${formatIpv4(svc.endpoints[i]!)}:${svc.targetPort}`;
      const sep = endpointChainName(svc.name, p, endpoint);
      const comment = large ? '' : `-m comment --comment ${quoteComment(`${svc.name} -> ${endpoint}`)} `;
      const stat = i < n - 1 ? `-m statistic --mode random --probability ${printProbability(storedProbability(kubeProbabilityText(n - i)))} ` : '';
      nat.append(svcChain, `${comment}${stat}-j ${sep}`);
      const sepComment = large ? '' : `-m comment --comment ${quoteComment(svc.name)} `;
      nat.chain(sep);
      nat.append(sep, `-s ${formatIpv4(svc.endpoints[i]!)}/32 ${sepComment}-j KUBE-MARK-MASQ`);
      nat.append(sep, `-p ${p} ${sepComment}-m ${p} -j DNAT --to-destination ${endpoint}`);
    }
  }
  nat.append(
    'KUBE-SERVICES',
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  filter.append('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.append('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.append('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  return mangle.render() + nat.render() + filter.render();
}
