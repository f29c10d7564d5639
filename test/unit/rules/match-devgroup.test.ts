// -m devgroup: parse and iptables-save text as libxt_devgroup.c has them (xtables_parse_val_mask, the
// "default" name of /etc/iproute2/group), rejection messages, devgroup_mt_checkentry's hooks, and evaluation
// against the device groups a host snapshot's ip-addr.json gives ("group": "default", a number, a string).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne, ruleOf, skbOf } from './helpers.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';
import { loadSnapshot } from '../../../src/host/snapshot.js';
import { SnapshotError } from '../../../src/util/errors.js';
import { NONE } from '../../../src/netfilter/skb.js';

const saved = (rule: string, chain = 'FORWARD'): string => ruleBodyText(ruleOf(rule, 'filter', chain), Family.IPV4).slice(1);

function rejected(rule: string, chain = 'FORWARD', table = 'filter'): string {
  const i = parseOne(rule, table, chain).issues[0];
  if (i === undefined) throw new Error(`accepted: ${rule}`);
  return `${i.code} ${i.message}`;
}

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host', 'host-snapshot');

/** The bundled Docker host's snapshot with the "group" fields of some interfaces replaced. */
function snapshotWithGroups(groups: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-devgroup-'));
  for (const f of fs.readdirSync(HOST)) fs.copyFileSync(path.join(HOST, f), path.join(dir, f));
  const addr = JSON.parse(fs.readFileSync(path.join(dir, 'ip-addr.json'), 'utf8')) as Array<Record<string, unknown>>;
  for (const e of addr) {
    if (e['ifname'] as string in groups) {
      const g = groups[e['ifname'] as string];
      if (g === undefined) delete e['group'];
      else e['group'] = g;
    }
  }
  fs.writeFileSync(path.join(dir, 'ip-addr.json'), JSON.stringify(addr));
  return dir;
}

describe('-m devgroup: rule text', () => {
  it('saves value/mask in hex, a full mask as the name or 0x%x, each side with its !', () => {
    expect(saved('-m devgroup --src-group 5')).toBe('-m devgroup --src-group 0x5');
    expect(saved('-m devgroup ! --src-group 0x5/0xf')).toBe('-m devgroup ! --src-group 0x5/0xf');
    expect(saved('-m devgroup --src-group 0')).toBe('-m devgroup --src-group default');
    expect(saved('-m devgroup --dst-group default')).toBe('-m devgroup --dst-group default');
    expect(saved('-m devgroup --dst-group 0/0xffffffff ! --src-group 010')).toBe('-m devgroup ! --src-group 0x8 --dst-group default');
    expect(saved('-m devgroup --src-group 0/0x1')).toBe('-m devgroup --src-group 0x0/0x1');
    expect(saved('-m devgroup --src-group 4294967295')).toBe('-m devgroup --src-group 0xffffffff');
  });
  it('rejects what xtables_parse_val_mask and devgroup_check reject', () => {
    expect(rejected('-m devgroup')).toBe("ERR_RULE_MISSING_OPTION devgroup: You must specify either '--src-group' or '--dst-group'");
    expect(rejected('-m devgroup --src-group lan')).toBe('ERR_RULE_BAD_VALUE devgroup: could not map name lan to an integer value for option "--src-group".');
    expect(rejected('-m devgroup --src-group 5x')).toBe('ERR_RULE_BAD_VALUE devgroup: could not map name 5x to an integer value for option "--src-group".');
    expect(rejected('-m devgroup --src-group 4294967296')).toMatch(/could not map name 4294967296/);
    expect(rejected('-m devgroup --dst-group 5/')).toBe('ERR_RULE_BAD_VALUE devgroup: bad integer value for option "--dst-group", or out of range.');
    expect(rejected('-m devgroup --dst-group 5/0xfz')).toBe('ERR_RULE_BAD_VALUE devgroup: trailing garbage after value for option "--dst-group".');
    expect(rejected('-m devgroup --src-group 1 --src-group 2')).toMatch(/^ERR_RULE_OPTION_REPEATED /);
  });
  it('refuses --src-group where there is no input device and --dst-group where there is no output device', () => {
    expect(rejected('-m devgroup --src-group 1', 'OUTPUT')).toBe('ERR_RULE_WRONG_HOOK devgroup match: --src-group is valid only from PREROUTING/INPUT/FORWARD');
    expect(rejected('-m devgroup --src-group 1', 'POSTROUTING', 'mangle')).toMatch(/^ERR_RULE_WRONG_HOOK /);
    expect(rejected('-m devgroup --dst-group 1', 'INPUT')).toBe('ERR_RULE_WRONG_HOOK devgroup match: --dst-group is valid only from FORWARD/OUTPUT/POSTROUTING');
    expect(rejected('-m devgroup --dst-group 1', 'PREROUTING', 'mangle')).toMatch(/^ERR_RULE_WRONG_HOOK /);
    expect(saved('-m devgroup --src-group 1 --dst-group 2')).toBe('-m devgroup --src-group 0x1 --dst-group 0x2');
    expect(saved('-m devgroup --src-group 1', 'INPUT')).toBe('-m devgroup --src-group 0x1');
    expect(saved('-m devgroup --dst-group 1', 'OUTPUT')).toBe('-m devgroup --dst-group 0x1');
  });
});

describe('-m devgroup: device groups from the snapshot', () => {
  it('reads "default", numbers and number strings (negative ones as ip prints groups past 2^31)', () => {
    const h = loadSnapshot(snapshotWithGroups({ eth0: 7, vethc2: '5', vethc3: '-1', vethc1: undefined }));
    expect(h.byName('docker0')!.group).toBe(0);
    expect(h.byName('eth0')!.group).toBe(7);
    expect(h.byName('vethc2')!.group).toBe(5);
    expect(h.byName('vethc3')!.group).toBe(0xffffffff);
    expect(h.byName('vethc1')!.group).toBe(0);
    expect(h.deviceGroup(h.byName('vethc2')!.id)).toBe(5);
    expect(h.deviceGroup(NONE)).toBe(0);
    expect(h.deviceGroup(h.ifaces.length + 3)).toBe(0);
  });
  it('refuses a group name it cannot resolve, naming the file and the interface', () => {
    const dir = snapshotWithGroups({ vethc2: 'lan' });
    let err: unknown;
    try {
      loadSnapshot(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotError);
    const e = err as SnapshotError;
    expect(e.message).toMatch(/^interface "vethc2" \(entry 5\): field "group" is "lan": only "default" and group numbers are understood/);
    expect(e.path).toBe(path.join(dir, 'ip-addr.json'));
    expect(() => loadSnapshot(snapshotWithGroups({ eth0: true }))).toThrow(/field "group" must be a string or a number/);
  });
  it('matches (group ^ dev->group) & mask, per side, with the invert of each', () => {
    const h = loadSnapshot(snapshotWithGroups({ eth0: 7, vethc2: '5' }));
    const env = new TestMatchEnv();
    env.host = h;
    const id = (n: string): number => h.byName(n)!.id;
    const fwd = skbOf({}, { inIf: id('docker0'), outIf: id('eth0') });
    const m = (rule: string): boolean => evalMatch(matchOf(rule, 'filter', 'FORWARD'), fwd, env);
    expect(m('-m devgroup --src-group 0')).toBe(true);
    expect(m('-m devgroup --src-group default --dst-group 7')).toBe(true);
    expect(m('-m devgroup --dst-group 5')).toBe(false);
    expect(m('-m devgroup --dst-group 5/0x5')).toBe(true);
    expect(m('-m devgroup ! --dst-group 5/0x5')).toBe(false);
    expect(m('-m devgroup ! --dst-group 3')).toBe(true);
    expect(m('-m devgroup --src-group 1 --dst-group 7')).toBe(false);
    expect(m('-m devgroup ! --src-group 1 --dst-group 7')).toBe(true);
    expect(m('-m devgroup --src-group 0xff/0')).toBe(true);
    const fromC2 = skbOf({}, { inIf: id('vethc2') });
    expect(evalMatch(matchOf('-m devgroup --src-group 5', 'mangle', 'PREROUTING'), fromC2, env)).toBe(true);
    expect(evalMatch(matchOf('-m devgroup ! --src-group 5/0xf', 'mangle', 'PREROUTING'), fromC2, env)).toBe(false);
  });
});
