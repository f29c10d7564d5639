import { describe, expect, it } from 'vitest';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { unmodelledWarnings } from '../../../src/netfilter/rules/unmodelled.js';

describe('unmodelledWarnings', () => {
  it('names every CT rule whose helper or timeout the replay leaves out, and only those (zones are modelled)', () => {
    const text = [
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A PREROUTING -p udp -j CT --notrack',
      '-A PREROUTING -i br0 -j CT --zone 7',
      '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
      '-A OUTPUT -j CT --zone-orig mark',
      '-A OUTPUT -j NOTRACK',
      'COMMIT',
      '',
    ].join('\n');
    const parsed = parseRuleSet(text, { path: 'r.v4' });
    expect(parsed.issues).toEqual([]);
    expect(unmodelledWarnings(parsed.ruleset, 'r.v4')).toEqual([
      'r.v4:6: -t raw -A PREROUTING rule 3: CT the ftp helper (no expectations are created) not modelled',
    ]);
  });
});
