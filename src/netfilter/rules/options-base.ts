// iptables' own options (original_opts of iptables.c / xshared.c): long names with their short letters,
// whether they take a value, and which ones a rule may use. getopt_long resolves a long option against these
// first, then against the loaded extensions (parse-rule.ts).

/** What a base option does. */
export type BaseId =
  | 'append' | 'command' | 'source' | 'destination' | 'protocol' | 'in-interface' | 'out-interface' | 'fragment'
  | 'jump' | 'goto' | 'match' | 'set-counters' | 'table' | 'ipv4' | 'ipv6' | 'misc';

/** One base option. */
export interface BaseOpt {
  name: string;
  id: BaseId;
  args: 0 | 1;
}

/** Long options in original_opts order. */
export const BASE_LONG: readonly BaseOpt[] = [
  { name: 'append', id: 'append', args: 1 },
  { name: 'delete', id: 'command', args: 1 },
  { name: 'check', id: 'command', args: 1 },
  { name: 'insert', id: 'command', args: 1 },
  { name: 'replace', id: 'command', args: 1 },
  { name: 'list', id: 'command', args: 0 },
  { name: 'list-rules', id: 'command', args: 0 },
  { name: 'flush', id: 'command', args: 0 },
  { name: 'zero', id: 'command', args: 0 },
  { name: 'new-chain', id: 'command', args: 1 },
  { name: 'delete-chain', id: 'command', args: 0 },
  { name: 'rename-chain', id: 'command', args: 1 },
  { name: 'policy', id: 'command', args: 1 },
  { name: 'source', id: 'source', args: 1 },
  { name: 'src', id: 'source', args: 1 },
  { name: 'destination', id: 'destination', args: 1 },
  { name: 'dst', id: 'destination', args: 1 },
  { name: 'protocol', id: 'protocol', args: 1 },
  { name: 'in-interface', id: 'in-interface', args: 1 },
  { name: 'jump', id: 'jump', args: 1 },
  { name: 'table', id: 'table', args: 1 },
  { name: 'match', id: 'match', args: 1 },
  { name: 'numeric', id: 'misc', args: 0 },
  { name: 'out-interface', id: 'out-interface', args: 1 },
  { name: 'verbose', id: 'misc', args: 0 },
  { name: 'exact', id: 'misc', args: 0 },
  { name: 'fragment', id: 'fragment', args: 0 },
  { name: 'version', id: 'misc', args: 0 },
  { name: 'help', id: 'misc', args: 0 },
  { name: 'line-numbers', id: 'misc', args: 0 },
  { name: 'modprobe', id: 'misc', args: 1 },
  { name: 'set-counters', id: 'set-counters', args: 1 },
  { name: 'goto', id: 'goto', args: 1 },
  { name: 'ipv4', id: 'ipv4', args: 0 },
  { name: 'ipv6', id: 'ipv6', args: 0 },
  { name: 'wait', id: 'misc', args: 0 },
  { name: 'wait-interval', id: 'misc', args: 1 },
];

/** Short options by letter. */
export const BASE_SHORT: Readonly<Record<string, BaseOpt>> = {
  A: { name: 'append', id: 'append', args: 1 },
  D: { name: 'delete', id: 'command', args: 1 },
  C: { name: 'check', id: 'command', args: 1 },
  I: { name: 'insert', id: 'command', args: 1 },
  R: { name: 'replace', id: 'command', args: 1 },
  L: { name: 'list', id: 'command', args: 0 },
  S: { name: 'list-rules', id: 'command', args: 0 },
  F: { name: 'flush', id: 'command', args: 0 },
  Z: { name: 'zero', id: 'command', args: 0 },
  N: { name: 'new-chain', id: 'command', args: 1 },
  X: { name: 'delete-chain', id: 'command', args: 0 },
  E: { name: 'rename-chain', id: 'command', args: 1 },
  P: { name: 'policy', id: 'command', args: 1 },
  s: { name: 'source', id: 'source', args: 1 },
  d: { name: 'destination', id: 'destination', args: 1 },
  p: { name: 'protocol', id: 'protocol', args: 1 },
  i: { name: 'in-interface', id: 'in-interface', args: 1 },
  o: { name: 'out-interface', id: 'out-interface', args: 1 },
  f: { name: 'fragment', id: 'fragment', args: 0 },
  j: { name: 'jump', id: 'jump', args: 1 },
  g: { name: 'goto', id: 'goto', args: 1 },
  m: { name: 'match', id: 'match', args: 1 },
  c: { name: 'set-counters', id: 'set-counters', args: 1 },
  t: { name: 'table', id: 'table', args: 1 },
  '4': { name: 'ipv4', id: 'ipv4', args: 0 },
  '6': { name: 'ipv6', id: 'ipv6', args: 0 },
  n: { name: 'numeric', id: 'misc', args: 0 },
  v: { name: 'verbose', id: 'misc', args: 0 },
  x: { name: 'exact', id: 'misc', args: 0 },
  V: { name: 'version', id: 'misc', args: 0 },
  h: { name: 'help', id: 'misc', args: 0 },
  w: { name: 'wait', id: 'misc', args: 0 },
  W: { name: 'wait-interval', id: 'misc', args: 1 },
};

/** Letter used in messages (`multiple -s flags`). */
export const BASE_LETTER: Readonly<Record<string, string>> = {
  source: 's', destination: 'd', protocol: 'p', 'in-interface': 'i', 'out-interface': 'o', fragment: 'f',
  jump: 'j', goto: 'g', match: 'm', 'set-counters': 'c', append: 'A',
};

/** IFNAMSIZ - 1. */
export const MAX_IFNAME = 15;
