// Canonical iptables-save text for generated rule sets: tables with their builtin chains in hook order, user
// chains sorted by name (byte order), rules chain by chain in insertion order, as iptables-save 1.8.9 prints
// them (reference section 2.6). Also the canonical spellings the generators need: comment quoting and the
// statistic match's stored probability (xt_statistic / libxt_statistic: round(p * 2^31), printed "%.11f").

/** Builtin chains per table, in hook order (iptable_*.c valid_hooks). */
export const BUILTIN_CHAINS: Readonly<Record<string, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** One table being generated: declare chains, append rules, then render. */
export class SaveTable {
  readonly name: string;
  private readonly policies = new Map<string, string>();
  private readonly userChains = new Set<string>();
  private readonly rules = new Map<string, string[]>();

  constructor(name: string, policies: Readonly<Record<string, string>> = {}) {
    const builtins = BUILTIN_CHAINS[name];
    if (builtins === undefined) throw new RangeError(`unknown table ${name}`);
    this.name = name;
    for (const c of builtins) {
      this.policies.set(c, policies[c] ?? 'ACCEPT');
      this.rules.set(c, []);
    }
  }

  /** Declare a user chain (idempotent). */
  chain(name: string): this {
    if (!this.policies.has(name) && !this.userChains.has(name)) {
      this.userChains.add(name);
      this.rules.set(name, []);
    }
    return this;
  }

  /** Append a rule (the text after "-A CHAIN ") to a declared chain. */
  append(chain: string, spec: string): this {
    this.list(chain).push(spec);
    return this;
  }

  /** Insert a rule at the top of a chain, as `iptables -I CHAIN` does. */
  insert(chain: string, spec: string, position = 0): this {
    this.list(chain).splice(position, 0, spec);
    return this;
  }

  /** Number of rules currently in a chain. */
  size(chain: string): number {
    return this.list(chain).length;
  }

  /** The chain order iptables-save uses: builtins in hook order, then user chains by byte order of the name. */
  chainOrder(): string[] {
    const users = [...this.userChains].sort(byteOrder);
    return [...this.policies.keys(), ...users];
  }

  /** The table's section, "*name" through "COMMIT", each line ending in "\n". */
  render(): string {
    const order = this.chainOrder();
    let out = `*${this.name}\n`;
    for (const c of order) {
      const policy = this.policies.get(c);
      out += policy !== undefined ? `:${c} ${policy} [0:0]\n` : `:${c} - [0:0]\n`;
    }
    for (const c of order) for (const r of this.list(c)) out += `-A ${c} ${r}\n`;
    return out + 'COMMIT\n';
  }

  private list(chain: string): string[] {
    const l = this.rules.get(chain);
    if (l === undefined) throw new RangeError(`chain ${chain} is not declared in table ${this.name}`);
    return l;
  }
}

/** Compare strings by UTF-16 code unit, which equals byte order for the ASCII chain names iptables allows. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `--comment` argument as iptables-save prints it: bare when made only of [A-Za-z0-9_-], else double-quoted. */
export function quoteComment(text: string): string {
  if (text.length > 0 && /^[A-Za-z0-9_-]+$/.test(text)) return text;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const TWO_31 = 2147483648;

/**
 * The 31-bit value the kernel stores for `--probability text` (libxt_statistic: lround(0x80000000 * p)).
 * Returns the value the rule's match compares `get_random_u32() & 0x7fffffff` against.
 */
export function storedProbability(text: string): number {
  const p = Number(text);
  return Math.round(p * TWO_31);
}

/** iptables-save's "%.11f" of stored / 2^31, rounded exactly (half to even, as glibc printf). */
export function printProbability(stored: number): string {
  const scale = 100000000000n; // 10^11
  const num = BigInt(stored) * scale;
  const den = BigInt(TWO_31);
  let q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  const s = q.toString().padStart(12, '0');
  return `${s.slice(0, s.length - 11)}.${s.slice(s.length - 11)}`;
}

/** kube-proxy's computeProbability(n): fmt.Sprintf("%0.10f", 1.0/float64(n)). */
export function kubeProbabilityText(n: number): string {
  return (1 / n).toFixed(10);
}
