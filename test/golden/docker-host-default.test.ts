// The bundled default of the README's quick start (captures/docker-host, recorded on Linux 6.18 by
// test/fixtures/oracle/record.sh docker-host): replaying it must reproduce what the kernel did — every IPv4
// packet on every interface, the iptables-save -c counters, conntrack -L and -S. Runs in `npm test`.
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { kernelTxOf, replayAndCompare, scenarioInfo } from '../helpers/oracle.js';

const DIR = path.resolve(__dirname, '..', '..', 'captures', 'docker-host');

it('captures/docker-host: nfreplay replay agrees with the kernel', () => {
  const info = scenarioInfo(DIR);
  expect(info.kernelTx).toBe('any');
  const kernelPackets = [...kernelTxOf(info).values()].reduce((n, l) => n + l.length, 0);
  const res = replayAndCompare(DIR);
  expect(res.run.status, res.text).toBe(0);
  expect(res.report!.failures, res.text).toEqual([]);
  // every IPv4 packet the kernel sent was compared
  expect(kernelPackets).toBeGreaterThan(50);
  expect(res.report!.compared.packets, res.text).toBe(kernelPackets);
});
