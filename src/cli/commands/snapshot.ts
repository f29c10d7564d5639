// `nfreplay snapshot DIR`: collect a host snapshot (interfaces, routes, neighbours, bridge ports, listening
// sockets, sysctls) on a live host, then load it back to check it is usable for replay.

import type { Command } from 'commander';
import { collectSnapshot } from '../../host/collect.js';
import { loadSnapshot } from '../../host/snapshot.js';
import { runAction } from '../run.js';

interface SnapshotOpts {
  netns?: string;
  json?: boolean;
}

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .argument('<dir>', 'directory to write the snapshot files into (created if missing)')
    .description('collect a host snapshot on this (live) host for replay: ip addr/route/neigh, bridge ports, ss, sysctls')
    .option('--netns <name>', 'collect inside this network namespace (ip netns exec)')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      '\nFiles written: ip-addr.json, ip-route.json, ip-neigh.json, bridge-link.json, ss-listen.txt, sysctl.txt\n' +
        'Example:\n  sudo nfreplay snapshot ./host-snapshot\n  nfreplay replay --rules rules.v4 --snapshot ./host-snapshot capture.pcap\n',
    )
    .action((dir: string, opts: SnapshotOpts) =>
      runAction(opts, () => {
        const res = collectSnapshot(dir, { netns: opts.netns ?? null });
        const host = loadSnapshot(dir);
        const summary = {
          dir,
          files: res.files,
          interfaces: host.ifaces.length,
          bridges: host.ifaces.filter((i) => i.kind === 'bridge').map((i) => i.name),
          routes: host.fib.routes.length,
          rules: host.fib.rules.length,
          customRules: host.fib.customRules,
          missingSysctls: res.missingSysctls,
          warnings: host.warnings,
        };
        if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else {
          process.stdout.write(`snapshot written to ${dir}: ${summary.interfaces} interfaces, bridges [${summary.bridges.join(', ')}], ${summary.routes} routes, ${summary.rules} policy rules${summary.customRules ? '' : ' (the defaults)'}\n`);
          for (const m of res.missingSysctls) process.stderr.write(`note: sysctl ${m} not present on this host; the kernel default will be assumed\n`);
          for (const w of host.warnings) process.stderr.write(`warning: ${w}\n`);
        }
      }),
    );
}
