// Names of the iptables extensions that exist upstream (matches lower-case, targets upper-case), so that a
// rule using one nfreplay does not model is refused as "unsupported", and a typo as "unknown".

/** Match extensions of iptables/ip6tables (extensions/libxt_*, libipt_*, libip6t_*). */
export const IPTABLES_MATCHES: ReadonlySet<string> = new Set([
  'addrtype', 'ah', 'bpf', 'cgroup', 'cluster', 'comment', 'connbytes', 'connlabel', 'connlimit', 'connmark',
  'conntrack', 'cpu', 'dccp', 'devgroup', 'dscp', 'dst', 'ecn', 'esp', 'eui64', 'frag', 'hashlimit', 'hbh',
  'helper', 'hl', 'icmp', 'icmp6', 'iprange', 'ipv6header', 'ipvs', 'length', 'limit', 'mac', 'mark', 'mh',
  'multiport', 'nfacct', 'osf', 'owner', 'physdev', 'pkttype', 'policy', 'quota', 'rateest', 'realm', 'recent',
  'rpfilter', 'rt', 'sctp', 'set', 'socket', 'srh', 'state', 'statistic', 'string', 'tcp', 'tcpmss', 'time',
  'tos', 'ttl', 'u32', 'udp', 'udplite', 'unclean', 'geoip', 'condition', 'fuzzy', 'ipp2p', 'psd', 'iface', 'ipcomp', 'l2tp', 'devgroup', 'mh', 'sctp',
]);

/** Target extensions of iptables/ip6tables. */
export const IPTABLES_TARGETS: ReadonlySet<string> = new Set([
  'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNMARK', 'CONNSECMARK', 'CT', 'DNAT', 'DNPT', 'DSCP', 'ECN',
  'HL', 'HMARK', 'IDLETIMER', 'LED', 'LOG', 'MARK', 'MASQUERADE', 'MIRROR', 'NETMAP', 'NFLOG', 'NFQUEUE',
  'NOTRACK', 'RATEEST', 'REDIRECT', 'REJECT', 'SAME', 'SECMARK', 'SET', 'SNAT', 'SNPT', 'SYNPROXY', 'TCPMSS',
  'TCPOPTSTRIP', 'TEE', 'TOS', 'TPROXY', 'TRACE', 'TTL', 'ULOG',
]);
