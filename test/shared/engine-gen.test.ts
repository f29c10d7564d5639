// The Docker generator against what real daemons wrote: the oracle's classic rule sets (Docker 20.10–26
// layout recorded on a kernel), the Docker 20.10.24 listing of reference section 8.1, and moby's own
// iptabler goldens for the Docker 28+ layout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { CORPUS_DIR, ORACLE_DIR, SHARED_DIR, describeShared } from '../helpers/shared.js';
import { dockerRules, type DockerHost, type DockerNetwork } from '../../src/netfilter/rules/gen/docker.js';
import { kubeRules } from '../../src/netfilter/rules/gen/kube.js';
import { endpointChainName, externalChainName, serviceChainName } from '../../src/netfilter/rules/gen/kube-names.js';
import { parseIpv4 } from '../../src/util/ipv4.js';

/** The *nat and *filter sections of an iptables-save file, `#` lines dropped. */
function sections(text: string, names: string[]): string {
  const out: string[] = [];
  let keep = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    if (line.startsWith('*')) keep = names.includes(line.slice(1));
    if (keep) out.push(line);
    if (line === 'COMMIT') keep = false;
  }
  return out.join('\n') + '\n';
}

function net(bridge: string, subnet: string, extra: Partial<DockerNetwork> = {}): DockerNetwork {
  return { bridge, subnet, internal: false, icc: true, masquerade: true, snatAddress: null, ...extra };
}

function oracleHost(userlandProxy: boolean): DockerHost {
  return {
    layout: 'classic',
    userlandProxy,
    forwardPolicy: 'DROP',
    userChain: true,
    networks: [net('docker0', '172.17.0.0/16'), net('br-aaaa', '172.18.0.0/16')],
    containers: [{ network: 0, address: '172.17.0.2' }],
    ports: [{ container: 0, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 }],
  };
}

describeShared('Docker generator vs real Docker rule sets', () => {
  it('classic layout reproduces the oracle docker-base.rules (nat, filter)', () => {
    const want = fs.readFileSync(path.join(ORACLE_DIR, 'rules', 'docker-base.rules'), 'utf8');
    expect(dockerRules(oracleHost(true))).toBe(sections(want, ['nat', 'filter']));
  });

  it('classic layout with userland-proxy=false reproduces docker-noproxy.rules except the hairpin MASQUERADE', () => {
    // docker-noproxy.rules only removes the RETURN rules and `! -i`; the daemon also adds, per bridge,
    // `-o <br> -m addrtype --src-type LOCAL -j MASQUERADE` (reference 8.1, verified) and drops `! -d 127/8`.
    const want = sections(fs.readFileSync(path.join(ORACLE_DIR, 'rules', 'docker-noproxy.rules'), 'utf8'), ['nat', 'filter']);
    const got = dockerRules(oracleHost(false));
    const norm = (t: string) =>
      t
        .split('\n')
        .filter((l) => !l.includes('--src-type LOCAL -j MASQUERADE'))
        .map((l) => l.replace('-A OUTPUT -m addrtype', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype'))
        .join('\n');
    expect(norm(got)).toBe(norm(want));
    expect(got).toContain('-A POSTROUTING -o br-aaaa -m addrtype --src-type LOCAL -j MASQUERADE\n-A POSTROUTING -s 172.18.0.0/16 ! -o br-aaaa -j MASQUERADE\n');
  });

  it('classic layout reproduces the Docker 20.10.24 listing of reference section 8.1', () => {
    const md = fs.readFileSync(path.join(SHARED_DIR, 'reference', 'netfilter-semantics.md'), 'utf8');
    const at = md.indexOf('### 8.1');
    const start = md.indexOf('```\n', at) + 4;
    const listing = md.slice(start, md.indexOf('```', start));
    const host: DockerHost = {
      layout: 'classic',
      userlandProxy: true,
      forwardPolicy: 'DROP',
      userChain: true,
      networks: [
        net('docker0', '172.17.0.0/16'),
        net('br-eb66dbf9cf93', '172.18.0.0/16'),
        net('br-fdf3c51594fa', '172.19.0.0/16', { internal: true }),
        net('br-8238ea18e0ec', '172.20.0.0/16', { icc: false }),
      ],
      containers: [
        { network: 0, address: '172.17.0.2' },
        { network: 1, address: '172.18.0.2' },
      ],
      ports: [
        { container: 0, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 },
        { container: 0, proto: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 },
        { container: 1, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 9090, containerPort: 9000 },
      ],
    };
    expect(listing.length).toBeGreaterThan(1000);
    expect(dockerRules(host)).toBe(listing);
  });

  const golden = path.join(CORPUS_DIR, 'moby-iptabler', 'TestIptabler');
  const cases: [string, boolean, boolean, boolean, boolean][] = [];
  for (const hairpin of [false, true]) {
    for (const icc of [false, true]) {
      for (const bindlh of [false, true]) cases.push([`hairpin=${hairpin},internal=false,icc=${icc},masq=true,snat=false,gwm=nat,bindlh=${bindlh}`, hairpin, icc, bindlh, false]);
      cases.push([`hairpin=${hairpin},internal=true,icc=${icc}`, hairpin, icc, false, true]);
    }
  }
  it.each(cases)('modern layout reproduces moby golden %s', (name, hairpin, icc, bindlh, internal) => {
    const want = fs.readFileSync(path.join(golden, `${name}__iptables.golden`), 'utf8');
    const host: DockerHost = {
      layout: 'modern',
      userlandProxy: !hairpin,
      forwardPolicy: 'ACCEPT',
      userChain: false,
      networks: [net('br-dummy', '192.168.0.0/24', { icc, internal })],
      containers: [{ network: 0, address: '192.168.0.2' }],
      ports: [{ container: 0, proto: 'tcp', hostIp: bindlh ? '127.0.0.1' : '0.0.0.0', hostPort: 8080, containerPort: 80 }],
    };
    expect(dockerRules(host)).toBe(want);
  });

  it('modern layout with SNAT to the host address reproduces its golden', () => {
    const name = 'hairpin=false,internal=false,icc=true,masq=true,snat=true,gwm=nat,bindlh=false';
    const want = fs.readFileSync(path.join(golden, `${name}__iptables.golden`), 'utf8');
    const host: DockerHost = {
      layout: 'modern',
      userlandProxy: true,
      forwardPolicy: 'ACCEPT',
      userChain: false,
      networks: [net('br-dummy', '192.168.0.0/24', { snatAddress: '192.168.123.0' })],
      containers: [{ network: 0, address: '192.168.0.2' }],
      ports: [{ container: 0, proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 }],
    };
    expect(dockerRules(host)).toBe(want);
  });

  it('kube-proxy rules have the canonical text of the reference section 8.2 listing (iptables 1.8.9)', () => {
    const md = fs.readFileSync(path.join(SHARED_DIR, 'reference', 'netfilter-semantics.md'), 'utf8');
    const at = md.indexOf('### 8.2');
    const start = md.indexOf('```\n', at) + 4;
    const listing = md.slice(start, md.indexOf('```', start)).split('\n').filter((l) => l !== '');
    const web = 'default/web:http';
    const eps = ['10.244.1.5', '10.244.2.6', '10.244.3.7'];
    const text = kubeRules({
      clusterCidr: '10.244.0.0/16',
      masqueradeBit: 14,
      services: [
        { name: web, proto: 'tcp', vip: parseIpv4('10.96.0.10'), port: 80, nodePort: 30080, endpoints: eps.map(parseIpv4), targetPort: 8080 },
        { name: 'default/noeps:http', proto: 'tcp', vip: parseIpv4('10.96.0.50'), port: 80, nodePort: 0, endpoints: [], targetPort: 8080 },
      ],
    });
    // the listing writes placeholder chain names; map ours onto them
    const names: [string, string][] = [
      [serviceChainName(web, 'tcp'), 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
      [externalChainName(web, 'tcp'), 'KUBE-EXT-TCOU7JCQXEZGVUNU'],
      ...eps.map((e, i): [string, string] => [endpointChainName(web, 'tcp', `${e}:8080`), `KUBE-SEP-${'ABC'[i]!.repeat(16)}`]),
    ];
    let ours = text;
    for (const [a, b] of names) ours = ours.split(a).join(b);
    const lines = ours.split('\n');
    // every line of the listing appears in our output, in the same order (the listing leaves out builtin
    // chain declarations and the SEP-BBBB/CCCC chains)
    let j = 0;
    const missing: string[] = [];
    for (const l of listing) {
      const k = lines.indexOf(l, j);
      if (k < 0) missing.push(l);
      else j = k + 1;
    }
    expect(listing.length).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
