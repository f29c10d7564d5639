// `nfreplay inspect <capture...>`: what capture files hold — format, gzip, interfaces, link types,
// packets, bytes, time span, protocol mix, flows, decode events, checksum errors — as text or one JSON
// object. Progress on stderr for long files when stderr is a terminal.

import type { Command } from 'commander';
import { runAction } from '../run.js';
import { inspectCaptures, type InspectProgress } from '../../report/inspect-run.js';
import { renderInspect } from '../../report/inspect-render.js';

interface InspectCliOptions {
  json?: boolean;
  strict?: boolean;
}

const HELP_AFTER = `
Flows are bidirectional: TCP/UDP/SCTP by addresses and ports, ICMP echo by addresses and
identifier, other IP protocols by addresses and protocol. They are counted exactly up to
524288 distinct flows per file, then estimated (the report says so). A link type nfreplay
cannot decode is listed and its frames counted, never fatal.

Examples:
  $ nfreplay inspect host-eth0.pcapng
  $ nfreplay inspect --json capture.pcap.gz other.pcap > facts.json
  $ nfreplay inspect --strict suspicious.pcap     # a cut-off last record is an error

Exit codes: 0 ok, 1 a file could not be read (with --json: {"error": {code, message, path,
offset, record}} on stdout), 2 usage.
`;

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('describe capture files: format, interfaces, packets, time span, protocols, flows, decode events, checksums')
    .argument('<capture...>', 'pcap or pcapng files, optionally gzip-compressed')
    .option('--json', 'print one JSON object on stdout instead of text')
    .option('--strict', 'treat a truncated final record or a damaged file end as an error instead of a warning')
    .addHelpText('after', HELP_AFTER)
    .action(async (paths: string[], opts: InspectCliOptions) => {
      await runAction({ json: opts.json === true }, () => {
        const tty = process.stderr.isTTY === true;
        let lastShown = 0;
        const onProgress = tty
          ? (p: InspectProgress): void => {
              // wall-clock pacing of a terminal display only; it has no influence on the report
              const now = Date.now();
              if (now - lastShown < 250) return;
              lastShown = now;
              const pct = p.total > 0 ? ` ${Math.min(100, Math.floor((100 * p.bytes) / p.total))}%` : '';
              process.stderr.write(`\rinspect: file ${p.fileIndex + 1}/${p.files}${pct}, ${p.packets} packets`);
            }
          : undefined;
        try {
          const report = inspectCaptures(paths, { strict: opts.strict === true, onProgress });
          process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : renderInspect(report));
        } finally {
          if (tty && lastShown !== 0) process.stderr.write('\r\x1b[K');
        }
        return 0;
      });
    });
}
