// Name tables the iptables userspace resolves through the C library and its own lists: IP protocol names
// (xtables_chain_protos, then Debian netbase /etc/protocols), port service names (netbase /etc/services),
// and the ICMP type names of libxt_icmp.h. Fixed here so parsing and printing never depend on the machine.

/** xtables_chain_protos: names iptables prints first for these numbers. */
const CHAIN_PROTOS: ReadonlyArray<readonly [string, number]> = [
  ['tcp', 6],
  ['sctp', 132],
  ['udp', 17],
  ['udplite', 136],
  ['icmp', 1],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['esp', 50],
  ['ah', 51],
  ['ipv6-mh', 135],
  ['mh', 135],
  ['all', 0],
];

/** Debian netbase /etc/protocols (name, number), in file order (getprotobynumber returns the first). */
const ETC_PROTOCOLS =
  'ip 0;hopopt 0;icmp 1;igmp 2;ggp 3;ipencap 4;st 5;tcp 6;egp 8;igp 9;pup 12;udp 17;hmp 20;xns-idp 22;rdp 27;iso-tp4 29;dccp 33;xtp 36;ddp 37;idpr-cmtp 38;ipv6 41;ipv6-route 43;ipv6-frag 44;idrp 45;rsvp 46;gre 47;esp 50;ah 51;skip 57;ipv6-icmp 58;ipv6-nonxt 59;ipv6-opts 60;rspf 73;vmtp 81;eigrp 88;ospf 89;ax.25 93;ipip 94;etherip 97;encap 98;pim 103;ipcomp 108;vrrp 112;l2tp 115;isis 124;sctp 132;fc 133;mobility-header 135;udplite 136;mpls-in-ip 137;manet 138;hip 139;shim6 140;wesp 141;rohc 142;ethernet 143;mptcp 262;';

const protoByName = new Map<string, number>();
const protoByNumber = new Map<number, string>();
for (const ent of ETC_PROTOCOLS.split(';')) {
  if (ent === '') continue;
  const [name, num] = ent.split(' ') as [string, string];
  const n = Number(num);
  if (!protoByName.has(name)) protoByName.set(name, n);
  if (!protoByNumber.has(n)) protoByNumber.set(n, name);
}

/**
 * xtables_parse_protocol after iptables lower-cases the argument: a number 0..255, `all`, a netbase name, or an
 * xtables_chain_protos name. Returns the number or -1.
 */
export function parseProtocol(arg: string): number {
  const s = arg.toLowerCase();
  if (/^[0-9]/.test(s) || /^0x/.test(s)) {
    // xtables_strtoui base 0, range 0..255
    const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
    if (m === null) return -1;
    const v = s.startsWith('0x') ? parseInt(s.slice(2), 16) : s.length > 1 && s.startsWith('0') ? parseInt(s, 8) : Number(s);
    return v >= 0 && v <= 255 ? v : -1;
  }
  if (s === 'all') return 0;
  const p = protoByName.get(s);
  if (p !== undefined) return p;
  for (const [name, num] of CHAIN_PROTOS) if (name === s) return num;
  return -1;
}

/** proto_to_name: the name iptables-save prints for a protocol number, or the number itself. */
export function protocolName(proto: number): string {
  for (const [name, num] of CHAIN_PROTOS) if (num === proto && name !== 'icmpv6' && name !== 'ipv6-mh' && name !== 'mh') return name;
  return protoByNumber.get(proto) ?? String(proto);
}

/** Netbase /etc/services: `name|alias... port protos` with protos t(cp)/u(dp). */
const ETC_SERVICES =
  'tcpmux 1 t;echo 7 tu;discard|sink|null 9 tu;systat|users 11 t;daytime 13 tu;netstat 15 t;qotd|quote 17 t;chargen|ttytst|source 19 tu;ftp-data 20 t;ftp 21 t;fsp|fspd 21 u;ssh 22 t;telnet 23 t;smtp|mail 25 t;time|timserver 37 tu;whois|nicname 43 t;tacacs 49 tu;domain 53 tu;bootps 67 u;bootpc 68 u;tftp 69 u;gopher 70 t;finger 79 t;http|www 80 t;kerberos|kerberos5|krb5|kerberos-sec 88 tu;iso-tsap|tsap 102 t;acr-nema|dicom 104 t;pop3|pop-3 110 t;sunrpc|portmapper 111 tu;auth|authentication|tap|ident 113 t;nntp|readnews|untp 119 t;ntp 123 u;epmap|loc-srv 135 t;netbios-ns 137 u;netbios-dgm 138 u;netbios-ssn 139 t;imap2|imap 143 t;snmp 161 tu;snmp-trap|snmptrap 162 tu;cmip-man 163 tu;cmip-agent 164 tu;mailq 174 t;xdmcp 177 u;bgp 179 t;smux 199 t;qmtp 209 t;z3950|wais 210 t;ipx 213 u;ptp-event 319 u;ptp-general 320 u;pawserv 345 t;zserv 346 t;rpc2portmap 369 tu;codaauth2 370 tu;clearcase|Clearcase 371 u;ldap 389 tu;svrloc 427 tu;https 443 tu;snpp 444 t;microsoft-ds 445 t;kpasswd 464 tu;submissions|ssmtp|smtps|urd 465 t;saft 487 t;isakmp 500 u;rtsp 554 tu;nqs 607 t;asf-rmcp 623 u;qmqp 628 t;ipp 631 t;ldp 646 tu;exec 512 t;biff|comsat 512 u;login 513 t;who|whod 513 u;shell|cmd|syslog 514 t;syslog 514 u;printer|spooler 515 t;talk 517 u;ntalk 518 u;route|router|routed 520 u;gdomap 538 tu;uucp|uucpd 540 t;klogin 543 t;kshell|krcmd 544 t;dhcpv6-client 546 u;dhcpv6-server 547 u;afpovertcp 548 t;nntps|snntp 563 t;submission 587 t;ldaps 636 tu;tinc 655 tu;silc 706 t;kerberos-adm 749 t;domain-s 853 tu;rsync 873 t;ftps-data 989 t;ftps 990 t;telnets 992 t;imaps 993 t;pop3s 995 t;socks 1080 t;proofd 1093 t;rootd 1094 t;openvpn 1194 tu;rmiregistry 1099 t;lotusnote|lotusnotes 1352 t;ms-sql-s 1433 t;ms-sql-m 1434 u;ingreslock 1524 t;datametrics|old-radius 1645 tu;sa-msg-port|old-radacct 1646 tu;kermit 1649 t;groupwise 1677 t;l2f|l2tp 1701 u;radius 1812 tu;radius-acct|radacct 1813 tu;cisco-sccp 2000 t;nfs 2049 tu;gnunet 2086 tu;rtcm-sc104 2101 tu;gsigatekeeper 2119 t;gris 2135 t;cvspserver 2401 t;venus 2430 tu;venus-se 2431 tu;codasrv 2432 tu;codasrv-se 2433 tu;mon 2583 tu;dict 2628 t;f5-globalsite 2792 t;gsiftp 2811 t;gpsd 2947 t;gds-db|gds_db 3050 t;icpv2|icp 3130 u;isns 3205 tu;iscsi-target 3260 t;mysql 3306 t;ms-wbt-server 3389 t;nut 3493 tu;distcc 3632 t;daap 3689 t;svn|subversion 3690 t;suucp 4031 t;sysrqd 4094 t;sieve 4190 t;epmd 4369 t;remctl 4373 t;f5-iquery 4353 t;ntske 4460 t;ipsec-nat-t 4500 u;iax 4569 u;mtn 4691 t;radmin-port 4899 t;sip 5060 tu;sip-tls 5061 tu;xmpp-client|jabber-client 5222 t;xmpp-server|jabber-server 5269 t;cfengine 5308 t;mdns 5353 u;postgresql|postgres 5432 t;freeciv|rptp 5556 t;amqps 5671 t;amqp 5672 ts;x11|x11-0 6000 t;x11-1 6001 t;x11-2 6002 t;x11-3 6003 t;x11-4 6004 t;x11-5 6005 t;x11-6 6006 t;x11-7 6007 t;gnutella-svc 6346 tu;gnutella-rtr 6347 tu;redis 6379 t;sge-qmaster|sge_qmaster 6444 t;sge-execd|sge_execd 6445 t;mysql-proxy 6446 t;babel 6696 u;ircs-u 6697 t;bbs 7000 t;afs3-fileserver 7000 u;afs3-callback 7001 u;afs3-prserver 7002 u;afs3-vlserver 7003 u;afs3-kaserver 7004 u;afs3-volser 7005 u;afs3-bos 7007 u;afs3-update 7008 u;afs3-rmtsys 7009 u;font-service|xfs 7100 t;http-alt|webcache 8080 t;puppet 8140 t;bacula-dir 9101 t;bacula-fd 9102 t;bacula-sd 9103 t;xmms2 9667 t;nbd 10809 t;zabbix-agent 10050 t;zabbix-trapper 10051 t;amanda 10080 t;dicom 11112 t;hkp 11371 t;db-lsp 17500 t;dcap 22125 t;gsidcap 22128 t;wnn6 22273 t;rtmp 1 d;nbp 2 d;echo 4 d;zip 6 d;kerberos4|kerberos-iv|kdc 750 ut;kerberos-master|kerberos_master 751 u;kerberos-master 751 t;passwd-server|passwd_server 752 u;krb-prop|krb_prop|krb5_prop|hprop 754 t;zephyr-srv 2102 u;zephyr-clt 2103 u;zephyr-hm 2104 u;iprop 2121 t;supfilesrv 871 t;supfiledbg 1127 t;poppassd 106 t;moira-db|moira_db 775 t;moira-update|moira_update 777 t;moira-ureg|moira_ureg 779 u;spamd 783 t;skkserv 1178 t;predict 1210 u;rmtcfg 1236 t;xtel 1313 t;xtelw 1314 t;zebrasrv 2600 t;zebra 2601 t;ripd 2602 t;ripngd 2603 t;ospfd 2604 t;bgpd 2605 t;ospf6d 2606 t;ospfapi 2607 t;isisd 2608 t;fax 4557 t;hylafax 4559 t;munin|lrrd 4949 t;rplay 5555 u;nrpe 5666 t;nsca 5667 t;canna 5680 t;syslog-tls 6514 t;sane-port|sane|saned 6566 t;ircd 6667 t;zope-ftp 8021 t;tproxy 8081 t;omniorb 8088 t;clc-build-daemon 8990 t;xinetd 9098 t;git 9418 t;zope 9673 t;webmin 10000 t;kamanda 10081 t;amandaidx 10082 t;amidxtape 10083 t;sgi-cmsd 17001 u;sgi-crsd 17002 u;sgi-gcd 17003 u;sgi-cad 17004 t;binkp 24554 t;asp 27374 tu;csync2 30865 t;dircproxy 57000 t;tfido 60177 t;fido 60179 t;';

interface Service {
  port: number;
  tcp: boolean;
  udp: boolean;
}
const services = new Map<string, Service[]>();
for (const ent of ETC_SERVICES.split(';')) {
  if (ent === '') continue;
  const [names, port, protos] = ent.split(' ') as [string, string, string];
  const sv: Service = { port: Number(port), tcp: protos.includes('t'), udp: protos.includes('u') };
  for (const n of names.split('|')) {
    const l = services.get(n) ?? [];
    l.push(sv);
    services.set(n, l);
  }
}

/** getservbyname(name, proto): the port or -1 (proto null: any; sctp/dccp/udplite have no entries). */
export function serviceToPort(name: string, proto: string | null): number {
  const l = services.get(name);
  if (l === undefined) return -1;
  for (const sv of l) {
    if (proto === null || (proto === 'tcp' && sv.tcp) || (proto === 'udp' && sv.udp)) return sv.port;
  }
  return -1;
}

/** One ICMP type name of libxt_icmp.h with its type and code range. */
export interface IcmpName {
  name: string;
  type: number;
  codeMin: number;
  codeMax: number;
}

/** icmp_codes[] of libxt_icmp.h, in order (prefix matching walks them in this order). */
export const ICMP_NAMES: readonly IcmpName[] = (
  [
    ['any', 0xff, 0, 0xff],
    ['echo-reply', 0, 0, 0xff],
    ['pong', 0, 0, 0xff],
    ['destination-unreachable', 3, 0, 0xff],
    ['network-unreachable', 3, 0, 0],
    ['host-unreachable', 3, 1, 1],
    ['protocol-unreachable', 3, 2, 2],
    ['port-unreachable', 3, 3, 3],
    ['fragmentation-needed', 3, 4, 4],
    ['source-route-failed', 3, 5, 5],
    ['network-unknown', 3, 6, 6],
    ['host-unknown', 3, 7, 7],
    ['network-prohibited', 3, 9, 9],
    ['host-prohibited', 3, 10, 10],
    ['TOS-network-unreachable', 3, 11, 11],
    ['TOS-host-unreachable', 3, 12, 12],
    ['communication-prohibited', 3, 13, 13],
    ['host-precedence-violation', 3, 14, 14],
    ['precedence-cutoff', 3, 15, 15],
    ['source-quench', 4, 0, 0xff],
    ['redirect', 5, 0, 0xff],
    ['network-redirect', 5, 0, 0],
    ['host-redirect', 5, 1, 1],
    ['TOS-network-redirect', 5, 2, 2],
    ['TOS-host-redirect', 5, 3, 3],
    ['echo-request', 8, 0, 0xff],
    ['ping', 8, 0, 0xff],
    ['router-advertisement', 9, 0, 0xff],
    ['router-solicitation', 10, 0, 0xff],
    ['time-exceeded', 11, 0, 0xff],
    ['ttl-exceeded', 11, 0, 0xff],
    ['ttl-zero-during-transit', 11, 0, 0],
    ['ttl-zero-during-reassembly', 11, 1, 1],
    ['parameter-problem', 12, 0, 0xff],
    ['ip-header-bad', 12, 0, 0],
    ['required-option-missing', 12, 1, 1],
    ['timestamp-request', 13, 0, 0xff],
    ['timestamp-reply', 14, 0, 0xff],
    ['address-mask-request', 17, 0, 0xff],
    ['address-mask-reply', 18, 0, 0xff],
  ] as const
).map(([name, type, codeMin, codeMax]) => ({ name, type, codeMin, codeMax }));

/** icmpv6_codes[] of libxt_icmp.h. */
export const ICMPV6_NAMES: readonly IcmpName[] = (
  [
    ['destination-unreachable', 1, 0, 0xff],
    ['no-route', 1, 0, 0],
    ['communication-prohibited', 1, 1, 1],
    ['beyond-scope', 1, 2, 2],
    ['address-unreachable', 1, 3, 3],
    ['port-unreachable', 1, 4, 4],
    ['failed-policy', 1, 5, 5],
    ['reject-route', 1, 6, 6],
    ['packet-too-big', 2, 0, 0xff],
    ['time-exceeded', 3, 0, 0xff],
    ['ttl-exceeded', 3, 0, 0xff],
    ['ttl-zero-during-transit', 3, 0, 0],
    ['ttl-zero-during-reassembly', 3, 1, 1],
    ['parameter-problem', 4, 0, 0xff],
    ['bad-header', 4, 0, 0],
    ['unknown-header-type', 4, 1, 1],
    ['unknown-option', 4, 2, 2],
    ['echo-request', 128, 0, 0xff],
    ['ping', 128, 0, 0xff],
    ['echo-reply', 129, 0, 0xff],
    ['pong', 129, 0, 0xff],
    ['router-solicitation', 133, 0, 0xff],
    ['router-advertisement', 134, 0, 0xff],
    ['neighbour-solicitation', 135, 0, 0xff],
    ['neighbor-solicitation', 135, 0, 0xff],
    ['neighbour-advertisement', 136, 0, 0xff],
    ['neighbor-advertisement', 136, 0, 0xff],
    ['redirect', 137, 0, 0xff],
  ] as const
).map(([name, type, codeMin, codeMax]) => ({ name, type, codeMin, codeMax }));
