// Parses the arguments of one rule the way iptables' do_command does with getopt_long over merged option
// tables: base options first, then the loaded extensions newest first (a repeated `-m name` closes the
// earlier instance), unique-prefix long options, `--opt=value`, joined short options, `!` before an option,
// and the implicit protocol match loaded when an unknown option follows `-p proto` (command_default/load_proto).

import type { Counters, FamilyNumber, IpHeaderMatch, MatchCall, Target } from './ast.js';
import { Family, STANDARD_VERDICTS, TargetType, emptyIpMatch } from './ast.js';
import type { MatchModule, ModuleRegistry, OptionSpec, OptionUse, ParseContext, TargetModule } from './module.js';
import type { IpSetCatalog } from './ipset.js';
import type { Token } from './tokenize.js';
import { IssueCode } from './issues.js';
import { IPTABLES_MATCHES, IPTABLES_TARGETS } from './known.js';
import { parseIpv4Net, parseIpv6Net } from './addr.js';
import { parseProtocol, protocolName } from './names.js';
import { BASE_LETTER, BASE_LONG, BASE_SHORT, MAX_IFNAME } from './options-base.js';
import type { BaseOpt } from './options-base.js';

/** A rule-level failure: code, message and the 1-based column it concerns. */
export class RuleFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** Thrown by ParseContext.fail(); the option loop turns it into a RuleFailure at the option's column. */
class OptionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the rule parser needs to know about its surroundings. */
export interface RuleEnv {
  family: FamilyNumber;
  table: string;
  registry: ModuleRegistry;
  ipsets: IpSetCatalog | null;
  /** Is `name` a chain declared so far in this table section, and is it builtin? */
  chainKind(name: string): 'builtin' | 'user' | null;
  /** iptables-restore (true) forbids `-t`; the command line (false) is used for test vectors. */
  restore: boolean;
}

/** The parsed pieces of one rule. */
export interface ParsedRule {
  chain: string;
  /** Column of the `-A`. */
  column: number;
  ip: IpHeaderMatch;
  matches: MatchCall[];
  target: Target;
  targetColumn: number;
  /** From `-c pkts bytes` / `--set-counters`, else null. */
  counters: Counters | null;
}

/** An extension whose options are live: a match instance or the target. */
interface Provider {
  module: MatchModule | TargetModule;
  data: unknown;
  /** Closed when a later `-m` of the same name loaded a new instance. */
  open: boolean;
  counts: number[];
  column: number;
}

type Resolved = { kind: 'base'; opt: BaseOpt } | { kind: 'ext'; prov: Provider; id: number } | { kind: 'ambiguous'; names: string[] } | null;

/** Exact long base options, resolved once. */
type BaseResolved = { kind: 'base'; opt: BaseOpt };
const BASE_RESOLVED = new Map<string, BaseResolved>(BASE_LONG.map((b) => [b.name, { kind: 'base', opt: b }]));
/** Short base options, resolved once. */
const SHORT_RESOLVED = new Map<string, BaseResolved>(Object.entries(BASE_SHORT).map(([k, b]) => [k, { kind: 'base', opt: b }]));

/** Parse one rule's tokens. Throws RuleFailure on the first problem (as iptables stops at the first). */
export function parseRuleTokens(toks: readonly Token[], env: RuleEnv): ParsedRule {
  const ip = emptyIpMatch();
  const matches: MatchCall[] = [];
  const providers: Provider[] = [];
  const matchProv: Provider[] = [];
  let target: Target = { type: TargetType.NONE };
  let targetProv: Provider | null = null;
  let targetColumn = 0;
  let chain = '';
  let column = 0;
  let counters: Counters | null = null;
  let protoGiven = false;
  let protoUsed = false;
  const seen = new Set<string>();
  let invert = false;

  const ctx: ParseContext = {
    family: env.family,
    table: env.table,
    chain: '',
    ip,
    ipsets: env.ipsets,
    fail(code: string, message: string): never {
      throw new OptionFailure(code, message);
    },
  };

  const once = (id: string, col: number, letter: string): void => {
    if (seen.has(id)) throw new RuleFailure(IssueCode.OPTION_REPEATED, `multiple -${letter} flags not allowed`, col);
    seen.add(id);
  };

  const resolveLong = (name: string): Resolved => {
    const base = BASE_RESOLVED.get(name);
    if (base !== undefined) return base;
    for (let p = providers.length - 1; p >= 0; p--) {
      const prov = providers[p]!;
      if (!prov.open) continue;
      const idx = prov.module.options.findIndex((o) => o.name === name || (o.alias?.includes(name) ?? false));
      if (idx >= 0) return { kind: 'ext', prov, id: idx };
    }
    // unique prefix (getopt_long): candidates that differ in what they are make it ambiguous
    const hits: Array<{ r: Resolved; label: string; key: string }> = [];
    for (const b of BASE_LONG) if (b.name.startsWith(name)) hits.push({ r: { kind: 'base', opt: b }, label: b.name, key: `base:${b.id}` });
    for (let p = providers.length - 1; p >= 0; p--) {
      const prov = providers[p]!;
      if (!prov.open) continue;
      prov.module.options.forEach((o, idx) => {
        for (const n of [o.name, ...(o.alias ?? [])]) {
          if (n.startsWith(name)) hits.push({ r: { kind: 'ext', prov, id: idx }, label: n, key: `${p}:${idx}` });
        }
      });
    }
    if (hits.length === 0) return null;
    const keys = new Set(hits.map((h) => h.key));
    if (keys.size === 1) return hits[0]!.r;
    return { kind: 'ambiguous', names: hits.map((h) => `--${h.label}`) };
  };

  const addMatch = (mod: MatchModule, explicit: boolean, col: number): void => {
    for (const p of matchProv) if (p.module.name === mod.name) p.open = false;
    let data: unknown;
    try {
      data = mod.init(ctx);
    } catch (e) {
      if (e instanceof OptionFailure) throw new RuleFailure(e.code, e.message, col);
      throw e;
    }
    const prov: Provider = { module: mod, data, open: true, counts: mod.options.map(() => 0), column: col };
    providers.push(prov);
    matchProv.push(prov);
    matches.push({ name: mod.name, module: mod, explicit, data, column: col });
  };

  const takeValue = (i: number, inline: string | null, tok: Token, label: string): [string, number] => {
    if (inline !== null) return [inline, i];
    const next = toks[i + 1];
    if (next === undefined) throw new RuleFailure(IssueCode.MISSING_VALUE, `option "${label}" requires an argument`, tok.column);
    return [next.text, i + 1];
  };

  let i = 0;
  let invertCol = 0;
  while (i < toks.length) {
    const tok = toks[i]!;
    const s = tok.text;
    if (s === '!') {
      if (invert) throw new RuleFailure(IssueCode.INVERT, 'multiple consecutive ! not allowed', tok.column);
      invert = true;
      invertCol = tok.column;
      i++;
      continue;
    }
    if (s.length < 2 || s[0] !== '-' || s === '--') {
      throw new RuleFailure(IssueCode.BAD_ARGUMENT, `Bad argument \`${s}'`, tok.column);
    }
    let res: Resolved;
    let inline: string | null = null;
    let label: string;
    if (s.startsWith('--')) {
      let name = s.slice(2);
      const eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      label = `--${name}`;
      res = resolveLong(name);
      if (res === null && protoGiven && !protoUsed) {
        // load_proto(): the match named after -p, then parse this option again
        const pname = env.family === Family.IPV6 && ip.proto === 58 ? 'icmp6' : protocolName(ip.proto);
        const mod = env.registry.match(pname, env.family);
        if (mod !== undefined) {
          protoUsed = true;
          addMatch(mod, false, tok.column);
          continue;
        }
        if (IPTABLES_MATCHES.has(pname)) {
          throw new RuleFailure(IssueCode.UNSUPPORTED_MATCH, `match "${pname}" (loaded for option ${label} after -p ${pname}) is not supported by nfreplay`, tok.column);
        }
      }
      if (res === null) throw new RuleFailure(IssueCode.UNKNOWN_OPTION, `unknown option "${label}"`, tok.column);
      if (res.kind === 'ambiguous') {
        throw new RuleFailure(IssueCode.AMBIGUOUS_OPTION, `option "${label}" is ambiguous; possibilities: ${res.names.join(' ')}`, tok.column);
      }
    } else {
      const letter = s[1]!;
      const b = BASE_SHORT[letter];
      if (b === undefined) throw new RuleFailure(IssueCode.UNKNOWN_OPTION, `unknown option "${s}"`, tok.column);
      label = `-${letter}`;
      res = SHORT_RESOLVED.get(letter)!;
      if (s.length > 2) {
        if (b.args === 0) throw new RuleFailure(IssueCode.UNKNOWN_OPTION, `unknown option "${s}"`, tok.column);
        inline = s.slice(2);
      }
    }

    if (res.kind === 'ext') {
      const spec: OptionSpec = res.prov.module.options[res.id]!;
      if (invert && spec.invert !== true) {
        throw new RuleFailure(IssueCode.INVERT, `${res.prov.module.name}: option "--${spec.name}" cannot be inverted`, invertCol);
      }
      if (!spec.multi && res.prov.counts[res.id]! > 0) {
        throw new RuleFailure(IssueCode.OPTION_REPEATED, `${res.prov.module.name}: option "--${spec.name}" can only be used once`, tok.column);
      }
      res.prov.counts[res.id]!++;
      let value = '';
      let value2 = '';
      if (spec.args >= 1) {
        if (inline === null && toks[i + 1] === undefined) {
          throw new RuleFailure(IssueCode.MISSING_VALUE, `option "--${spec.name}" requires an argument`, tok.column);
        }
        [value, i] = takeValue(i, inline, tok, `--${spec.name}`);
      } else if (inline !== null) {
        throw new RuleFailure(IssueCode.BAD_VALUE, `option "--${spec.name}" doesn't allow an argument`, tok.column);
      }
      if (spec.args === 2) {
        const next = toks[i + 1];
        if (next === undefined || next.text.startsWith('-') || next.text === '!') {
          throw new RuleFailure(IssueCode.MISSING_VALUE, `option "--${spec.name}" requires two arguments`, tok.column);
        }
        value2 = next.text;
        i++;
      }
      const use: OptionUse = { id: res.id, name: spec.name, value, value2, invert };
      try {
        ctx.chain = chain;
        res.prov.module.parse(res.prov.data, use, ctx);
      } catch (e) {
        if (e instanceof OptionFailure) throw new RuleFailure(e.code, `${res.prov.module.name}: ${e.message}`, tok.column);
        throw e;
      }
      invert = false;
      i++;
      continue;
    }

    // base option
    const b = res.opt;
    const col = invert ? invertCol : tok.column;
    let value = '';
    if (b.args === 1) {
      [value, i] = takeValue(i, inline, tok, label);
    } else if (inline !== null) {
      throw new RuleFailure(IssueCode.BAD_VALUE, `option "${label}" doesn't allow an argument`, tok.column);
    }
    const letter = BASE_LETTER[b.id] ?? b.name;
    const invertible = b.id === 'source' || b.id === 'destination' || b.id === 'protocol' || b.id === 'in-interface' || b.id === 'out-interface' || b.id === 'fragment';
    if (invert && !invertible) {
      if (b.id === 'match') throw new RuleFailure(IssueCode.INVERT, 'unexpected ! flag before --match', invertCol);
      throw new RuleFailure(IssueCode.INVERT, `cannot have ! before -${letter}`, invertCol);
    }
    switch (b.id) {
      case 'append':
        if (chain !== '') throw new RuleFailure(IssueCode.COMMAND, 'Cannot use -A with -A', tok.column);
        chain = value;
        column = tok.column;
        ctx.chain = chain;
        break;
      case 'command':
        throw new RuleFailure(IssueCode.COMMAND, `command --${b.name} is not supported in a rule file (only -A)`, tok.column);
      case 'source':
      case 'destination': {
        once(b.id, tok.column, letter);
        setAddress(ip, b.id === 'source', value, invert, env.family, tok.column);
        break;
      }
      case 'protocol': {
        once(b.id, tok.column, letter);
        const p = parseProtocol(value);
        if (p < 0) throw new RuleFailure(IssueCode.BAD_PROTOCOL, `unknown protocol "${value.toLowerCase()}" specified`, tok.column);
        if (p === 0 && invert) throw new RuleFailure(IssueCode.BAD_PROTOCOL, 'rule would never match protocol', col);
        ip.proto = p;
        ip.invProto = invert;
        protoGiven = true;
        break;
      }
      case 'in-interface':
      case 'out-interface': {
        once(b.id, tok.column, letter);
        if (value.length > MAX_IFNAME) {
          throw new RuleFailure(IssueCode.BAD_INTERFACE, `interface name \`${value}' must be shorter than IFNAMSIZ (${MAX_IFNAME + 1})`, tok.column);
        }
        const wild = value.endsWith('+');
        const name = wild ? value.slice(0, -1) : value;
        const isIn = b.id === 'in-interface';
        // `-i +` and `-i ""` match every name and iptables-save omits them (unless negated)
        const any = name === '' && (wild || value === '');
        if (isIn) {
          ip.inIface = any && !invert ? '' : name;
          ip.inWildcard = any && !invert ? false : wild;
          ip.invIn = any && !invert ? false : invert;
        } else {
          ip.outIface = any && !invert ? '' : name;
          ip.outWildcard = any && !invert ? false : wild;
          ip.invOut = any && !invert ? false : invert;
        }
        break;
      }
      case 'fragment':
        if (env.family === Family.IPV6) throw new RuleFailure(IssueCode.UNKNOWN_OPTION, 'unknown option "-f" (ip6tables has no fragment flag)', tok.column);
        once(b.id, tok.column, letter);
        ip.fragment = true;
        ip.invFragment = invert;
        break;
      case 'jump':
      case 'goto': {
        if (seen.has('jump') || seen.has('goto')) {
          throw new RuleFailure(IssueCode.OPTION_REPEATED, b.id === 'jump' && seen.has('jump') ? 'multiple -j flags not allowed' : 'Cannot use -g and -j together', tok.column);
        }
        seen.add(b.id);
        targetColumn = tok.column;
        const r = resolveTarget(value, b.id === 'goto', env, tok.column);
        if (r.kind === 'module') {
          let data: unknown;
          try {
            data = r.module.init(ctx);
          } catch (e) {
            if (e instanceof OptionFailure) throw new RuleFailure(e.code, e.message, tok.column);
            throw e;
          }
          targetProv = { module: r.module, data, open: true, counts: r.module.options.map(() => 0), column: tok.column };
          providers.push(targetProv);
          target = { type: TargetType.EXTENSION, name: r.module.name, module: r.module, data };
        } else {
          target = r.target;
        }
        break;
      }
      case 'match': {
        const mod = env.registry.match(value, env.family);
        if (mod === undefined) {
          if (IPTABLES_MATCHES.has(value)) throw new RuleFailure(IssueCode.UNSUPPORTED_MATCH, `match "${value}" is not supported by nfreplay`, tok.column);
          throw new RuleFailure(IssueCode.UNKNOWN_MATCH, `Couldn't load match \`${value}': no such iptables match`, tok.column);
        }
        addMatch(mod, true, tok.column);
        break;
      }
      case 'set-counters': {
        if (counters !== null) throw new RuleFailure(IssueCode.OPTION_REPEATED, 'multiple -c flags not allowed', tok.column);
        // "-c P,B" or "-c P B" (xshared.c)
        let pc = value;
        let bc: string | null = null;
        const comma = value.indexOf(',', 1);
        if (comma >= 0) {
          pc = value.slice(0, comma);
          bc = value.slice(comma + 1);
        } else {
          const next = toks[i + 1];
          if (next !== undefined && !next.text.startsWith('-') && next.text !== '!') {
            bc = next.text;
            i++;
          }
        }
        if (bc === null) throw new RuleFailure(IssueCode.COUNTERS, '-c requires packet and byte counter', tok.column);
        const p = parseCounter(pc);
        const by = parseCounter(bc);
        if (p === null || by === null) throw new RuleFailure(IssueCode.COUNTERS, `-c packet counter \`${pc}' or byte counter \`${bc}' not numeric`, tok.column);
        counters = { pkts: p, bytes: by };
        break;
      }
      case 'table':
        throw new RuleFailure(IssueCode.TABLE_OPTION, env.restore ? 'The -t option cannot be used in iptables-restore' : 'The -t option cannot be used in a rule', tok.column);
      case 'ipv4':
        if (env.family !== Family.IPV4) throw new RuleFailure(IssueCode.FAMILY, '-4 given in an IPv6 rule set', tok.column);
        break;
      case 'ipv6':
        if (env.family !== Family.IPV6) throw new RuleFailure(IssueCode.FAMILY, '-6 given in an IPv4 rule set', tok.column);
        break;
      case 'misc':
        throw new RuleFailure(IssueCode.BAD_ARGUMENT, `option "${label}" has no meaning in a rule`, tok.column);
    }
    invert = false;
    i++;
  }
  if (invert) throw new RuleFailure(IssueCode.INVERT, 'nothing appropriate following !', invertCol);
  if (chain === '') throw new RuleFailure(IssueCode.COMMAND, 'no command specified: a rule line starts with -A CHAIN', toks[0]?.column ?? 1);

  // final checks of every extension (x6_fcheck)
  for (const p of providers) {
    try {
      ctx.chain = chain;
      p.module.finish(p.data, ctx);
    } catch (e) {
      if (e instanceof OptionFailure) throw new RuleFailure(e.code, `${p.module.name}: ${e.message}`, p.column);
      throw e;
    }
  }
  void targetProv;

  // generic_opt_check: interface direction against builtin chain names
  if (seen.has('out-interface') && (chain === 'PREROUTING' || chain === 'INPUT')) {
    throw new RuleFailure(IssueCode.IFACE_HOOK, `Can't use -o with ${chain}`, column);
  }
  if (seen.has('in-interface') && (chain === 'POSTROUTING' || chain === 'OUTPUT')) {
    throw new RuleFailure(IssueCode.IFACE_HOOK, `Can't use -i with ${chain}`, column);
  }
  return { chain, column, ip, matches, target, targetColumn, counters };
}

type TargetChoice = { kind: 'module'; module: TargetModule } | { kind: 'plain'; target: Target };

/** -j/-g NAME: verdict, extension target (which wins over a chain of the same name), or a declared chain. */
function resolveTarget(name: string, isGoto: boolean, env: RuleEnv, col: number): TargetChoice {
  const letter = isGoto ? 'g' : 'j';
  const verdict = STANDARD_VERDICTS[name];
  if (verdict !== undefined) {
    if (isGoto) throw new RuleFailure(IssueCode.BAD_VALUE, `-g ${name}: goto needs a user chain, not a verdict`, col);
    return { kind: 'plain', target: { type: TargetType.VERDICT, name, verdict } };
  }
  const mod = env.registry.target(name, env.family);
  if (mod !== undefined) {
    if (isGoto) throw new RuleFailure(IssueCode.BAD_VALUE, `-g ${name}: goto needs a user chain, not a target`, col);
    return { kind: 'module', module: mod };
  }
  const kind = env.chainKind(name);
  if (kind === 'user') return { kind: 'plain', target: { type: isGoto ? TargetType.GOTO : TargetType.JUMP, chain: name } };
  if (kind === 'builtin') throw new RuleFailure(IssueCode.JUMP_BUILTIN, `-${letter} ${name}: cannot jump to builtin chain ${name}`, col);
  if (IPTABLES_TARGETS.has(name)) throw new RuleFailure(IssueCode.UNSUPPORTED_TARGET, `target "${name}" is not supported by nfreplay`, col);
  throw new RuleFailure(IssueCode.UNKNOWN_CHAIN, `-${letter} ${name}: no chain or target named "${name}" (chains must be declared before the rules that use them)`, col);
}

function setAddress(ip: IpHeaderMatch, isSrc: boolean, value: string, invert: boolean, family: FamilyNumber, col: number): void {
  if (family === Family.IPV6) {
    const r = parseIpv6Net(value);
    if (typeof r === 'string') {
      if (typeof parseIpv4Net(value) !== 'string') throw new RuleFailure(IssueCode.FAMILY, `IPv4 address \`${value}' in an IPv6 rule set`, col);
      throw new RuleFailure(IssueCode.BAD_ADDRESS, r, col);
    }
    if (isSrc) {
      ip.src6 = r;
      ip.invSrc = invert;
    } else {
      ip.dst6 = r;
      ip.invDst = invert;
    }
    return;
  }
  if (value.includes(':')) throw new RuleFailure(IssueCode.FAMILY, `IPv6 address \`${value}' in an IPv4 rule set`, col);
  const r = parseIpv4Net(value);
  if (typeof r === 'string') throw new RuleFailure(IssueCode.BAD_ADDRESS, r, col);
  if (isSrc) {
    ip.src = r.addr;
    ip.srcMask = r.mask;
    ip.invSrc = invert;
  } else {
    ip.dst = r.addr;
    ip.dstMask = r.mask;
    ip.invDst = invert;
  }
}

/** An unsigned 64-bit decimal counter (sscanf "%llu" rejects empty and non-digits). */
export function parseCounter(s: string): bigint | null {
  if (!/^\d{1,20}$/.test(s)) return null;
  const v = BigInt(s);
  return v <= 0xffffffffffffffffn ? v : null;
}
