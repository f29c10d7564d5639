// kube-proxy's chain names (pkg/proxy/iptables/proxier.go: portProtoHash, servicePortEndpointChainName):
// base32(sha256(servicePortName + protocol [+ "ip:port"])) truncated to 16 characters, behind the prefixes
// KUBE-SVC- / KUBE-SVL- / KUBE-EXT- / KUBE-FW- / KUBE-SEP-.

import { createHash } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with the standard alphabet (Go's base32.StdEncoding), padding omitted. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xfff; // at most 12 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** portProtoHash: the 16-character hash behind KUBE-SVC-/SVL-/EXT-/FW- names. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32(createHash('sha256').update(servicePortName + protocol).digest()).slice(0, 16);
}

/** KUBE-SVC-X for a service port ("namespace/name:port") and lower-case protocol. */
export function serviceChainName(servicePortName: string, protocol: string): string {
  return 'KUBE-SVC-' + portProtoHash(servicePortName, protocol);
}

/** KUBE-EXT-X: external (NodePort / LoadBalancer / externalIP) traffic for a service port. */
export function externalChainName(servicePortName: string, protocol: string): string {
  return 'KUBE-EXT-' + portProtoHash(servicePortName, protocol);
}

/** KUBE-SVL-X: local-policy endpoints of a service port. */
export function localChainName(servicePortName: string, protocol: string): string {
  return 'KUBE-SVL-' + portProtoHash(servicePortName, protocol);
}

/** KUBE-SEP-Y for one endpoint "ip:port" of a service port. */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + base32(createHash('sha256').update(servicePortName + protocol + endpoint).digest()).slice(0, 16);
}
