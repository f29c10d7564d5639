// `nfreplay rules gen docker|kube`: synthesise the rule set a Docker host or a kube-proxy (iptables mode)
// node would carry, as canonical iptables-save text on stdout or in a file written atomically.

import type { Command } from 'commander';
import { intOption, runAction } from '../run.js';
import { UsageError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { dockerRules } from '../../netfilter/rules/gen/docker.js';
import { DOCKER_DEFAULTS, DOCKER_LIMITS, synthesizeDocker } from '../../netfilter/rules/gen/docker-synth.js';
import { KUBE_DEFAULTS, KUBE_LIMITS, kubeRules, synthesizeKube } from '../../netfilter/rules/gen/kube.js';

interface DockerCliOptions {
  bridges?: string;
  ports?: string;
  layout?: string;
  hairpin?: boolean;
  out?: string;
}

interface KubeCliOptions {
  services?: string;
  endpoints?: string;
  nodeports?: boolean;
  out?: string;
}

const DOCKER_HELP = `
The classic layout is what Docker 20.10 to 27 writes (DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2,
per-bridge FORWARD rules, newest bridge first); "modern" is Docker 28's (DOCKER-FORWARD,
DOCKER-BRIDGE, DOCKER-CT, DOCKER-INTERNAL and raw-table direct-access drops). Bridge 1 is
docker0 (172.17.0.0/16); the others are br-<id> bridges on Docker's default address pools.
Each published port belongs to its own container, spread over the bridges; host ports
start at 8000, every fifth port is UDP 53. The output is deterministic for given options.

Examples:
  $ nfreplay rules gen docker
  $ nfreplay rules gen docker --bridges 10 --ports 200 --out docker.rules
  $ nfreplay rules gen docker --layout modern --hairpin`;

const KUBE_HELP = `
Services come first as default/kubernetes:https and kube-dns (dns, dns-tcp, metrics), then
ns-N/svc-N ports (every tenth UDP 53). Cluster IPs are in 10.96.0.0/12, endpoints in
10.244.0.0/16 (10.128.0.0/10 beyond 64,000 endpoints); chain names are kube-proxy's
(base32 of sha256); endpoint i of n is chosen with probability 1/(n-i). Per-endpoint
comments are dropped above 1,000 endpoints, as kube-proxy does. With --nodeports the first
2,768 services also get NodePorts 30000+ (KUBE-NODEPORTS and KUBE-EXT- chains).

Examples:
  $ nfreplay rules gen kube
  $ nfreplay rules gen kube --services 10000 --endpoints 3 --nodeports --out kube.rules`;

function emit(text: string, out: string | undefined): number {
  if (out !== undefined) writeFileAtomic(out, text);
  else process.stdout.write(text);
  return 0;
}

export function registerRulesGen(rules: Command): void {
  const gen = rules
    .command('gen')
    .description('generate the iptables-save rule set of a Docker host or a kube-proxy node')
    .addHelpText(
      'after',
      `
Examples:
  $ nfreplay rules gen docker --bridges 4 --ports 16 > docker.rules
  $ nfreplay rules gen kube --services 10000 --endpoints 3 --nodeports --out kube.rules
  $ nfreplay rules gen docker --help`,
    );

  gen
    .command('docker')
    .description('rule set of a Docker host with B bridges and P published ports')
    .option('--bridges <B>', `bridge networks, docker0 included (1-${DOCKER_LIMITS.bridges})`, String(DOCKER_DEFAULTS.bridges))
    .option('--ports <P>', `published ports (0-${DOCKER_LIMITS.ports})`, String(DOCKER_DEFAULTS.ports))
    .option('--layout <layout>', 'classic (Docker 20.10-27) or modern (Docker 28+)', 'classic')
    .option('--hairpin', 'userland-proxy=false: hairpin NAT rules instead of the userland proxy')
    .option('--out <file>', 'write to FILE (atomically) instead of stdout')
    .addHelpText('after', DOCKER_HELP)
    .action(async (opts: DockerCliOptions) => {
      await runAction({}, () => {
        const layout = opts.layout ?? 'classic';
        if (layout !== 'classic' && layout !== 'modern') throw new UsageError(`option --layout must be classic or modern, got "${layout}"`);
        const host = synthesizeDocker({
          bridges: intOption('--bridges', opts.bridges, DOCKER_DEFAULTS.bridges, 1, DOCKER_LIMITS.bridges),
          ports: intOption('--ports', opts.ports, DOCKER_DEFAULTS.ports, 0, DOCKER_LIMITS.ports),
          layout,
          userlandProxy: opts.hairpin !== true,
        });
        return emit(dockerRules(host), opts.out);
      });
    });

  gen
    .command('kube')
    .description('rule set of a kube-proxy (iptables mode) node with S service ports of E endpoints')
    .option('--services <S>', `service ports (1-${KUBE_LIMITS.services})`, String(KUBE_DEFAULTS.services))
    .option('--endpoints <E>', `endpoints per service port (0-${KUBE_LIMITS.endpoints})`, String(KUBE_DEFAULTS.endpoints))
    .option('--nodeports', 'give services NodePorts (KUBE-NODEPORTS, KUBE-EXT- chains)')
    .option('--out <file>', 'write to FILE (atomically) instead of stdout')
    .addHelpText('after', KUBE_HELP)
    .action(async (opts: KubeCliOptions) => {
      await runAction({}, () => {
        const cluster = synthesizeKube({
          services: intOption('--services', opts.services, KUBE_DEFAULTS.services, 1, KUBE_LIMITS.services),
          endpoints: intOption('--endpoints', opts.endpoints, KUBE_DEFAULTS.endpoints, 0, KUBE_LIMITS.endpoints),
          nodePorts: opts.nodeports === true,
        });
        return emit(kubeRules(cluster), opts.out);
      });
    });
}
