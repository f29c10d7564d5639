// The `--u32 tests` language of libxt_u32.c: u32_parse (its two-state scanner, error messages with the
// character position, the XT_U32_MAXSIZE limits) into the kernel's struct xt_u32 laid out flat, and u32_dump,
// which prints that struct back (numbers as 0x%x), so the saved text is normalised.

import { scanUint } from '../values.js';

/** XT_U32_MAXSIZE: at most this many tests, numbers per location and values per test. */
export const U32_MAXSIZE = 10;
/** Array length of each list in the kernel struct (XT_U32_MAXSIZE + 1). */
export const U32_SLOTS = U32_MAXSIZE + 1;

/** enum xt_u32_ops: how location element i (i >= 1) combines with the value so far. */
export const U32Op = { AND: 0, LEFTSH: 1, RIGHTSH: 2, AT: 3 } as const;

/**
 * struct xt_u32 flattened: element i of test t is at t * U32_SLOTS + i in `number`/`nextop` (the location)
 * and in `min`/`max` (the value ranges).
 */
export interface U32Data {
  ntests: number;
  invert: boolean;
  nnums: Uint8Array;
  nvalues: Uint8Array;
  number: Uint32Array;
  nextop: Uint8Array;
  min: Uint32Array;
  max: Uint32Array;
  given: boolean;
}

export function emptyU32(): U32Data {
  const n = U32_SLOTS * U32_SLOTS;
  return {
    ntests: 0,
    invert: false,
    nnums: new Uint8Array(U32_SLOTS),
    nvalues: new Uint8Array(U32_SLOTS),
    number: new Uint32Array(n),
    nextop: new Uint8Array(n),
    min: new Uint32Array(n),
    max: new Uint32Array(n),
    given: false,
  };
}

/** isspace() in the C locale. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * u32_parse: fill `d` from the argument of --u32, or call `fail` with libxt_u32's message (without its "u32: "
 * prefix; the rule parser names the module). Positions are 0-based offsets into the argument, as printed.
 */
export function parseU32(d: U32Data, arg: string, fail: (message: string) => never): void {
  let testind = 0;
  let locind = 0;
  let valind = 0;
  let state = 0;
  let i = 0;
  // parse_number: xtables_strtoui(s, &end, &n, 0, UINT32_MAX), at least one digit
  const num = (): number => {
    const r = scanUint(arg, i, 0);
    if (Number.isNaN(r.value) || r.value > 0xffffffff) fail(`at char ${i}: not a number or out of range`);
    i = r.end;
    return r.value;
  };
  d.ntests = 0;
  for (;;) {
    while (isSpace(arg[i])) i++;
    const c = arg[i];
    if (c === undefined) {
      if (state === 0) fail('abrupt end of input after location specifier');
      if (valind === 0) fail('test ended with no value specified');
      d.nnums[testind] = locind;
      d.nvalues[testind] = valind;
      d.ntests = ++testind;
      if (testind > U32_MAXSIZE) fail(`at char ${i}: too many "&&"s`);
      return;
    }
    const base = testind * U32_SLOTS;
    if (state === 0) {
      // the location: a number, then operator number pairs, up to "="
      if (c === '=') {
        if (locind === 0) fail(`at char ${i}: location spec missing`);
        i++;
        state = 1;
        continue;
      }
      if (locind !== 0) {
        let op: number;
        if (c === '&') op = U32Op.AND;
        else if (c === '<') {
          if (arg[++i] !== '<') fail(`at char ${i}: a second '<' was expected`);
          op = U32Op.LEFTSH;
        } else if (c === '>') {
          if (arg[++i] !== '>') fail(`at char ${i}: a second '>' was expected`);
          op = U32Op.RIGHTSH;
        } else if (c === '@') op = U32Op.AT;
        else fail(`at char ${i}: operator expected`);
        d.nextop[base + locind] = op;
        i++;
      }
      d.number[base + locind] = num();
      if (++locind > U32_MAXSIZE) fail(`at char ${i}: too many operators`);
      continue;
    }
    // the values: ranges separated by ",", up to "&&" or the end
    if (c === '&') {
      if (arg[++i] !== '&') fail(`at char ${i}: a second '&' was expected`);
      if (valind === 0) fail(`at char ${i}: value spec missing`);
      d.nnums[testind] = locind;
      d.nvalues[testind] = valind;
      if (++testind > U32_MAXSIZE) fail(`at char ${i}: too many "&&"s`);
      i++;
      state = 0;
      locind = 0;
      valind = 0;
      continue;
    }
    if (valind > 0) {
      if (c !== ',') fail(`at char ${i}: expected "," or "&&"`);
      i++;
    }
    const lo = num();
    while (isSpace(arg[i])) i++;
    let hi = lo;
    if (arg[i] === ':') {
      i++;
      hi = num();
    }
    d.min[base + valind] = lo;
    d.max[base + valind] = hi;
    if (++valind > U32_MAXSIZE) fail(`at char ${i}: too many ","s`);
  }
}

const OP_TEXT = ['&', '<<', '>>', '@'] as const;

function hx(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** u32_dump: the tests between double quotes, every number as 0x%x, ranges as min:max unless equal. */
export function u32Text(d: U32Data): string {
  let s = '"';
  for (let t = 0; t < d.ntests; t++) {
    const base = t * U32_SLOTS;
    if (t > 0) s += '&&';
    s += hx(d.number[base]!);
    for (let i = 1; i < d.nnums[t]!; i++) s += OP_TEXT[d.nextop[base + i]!]! + hx(d.number[base + i]!);
    s += '=';
    for (let i = 0; i < d.nvalues[t]!; i++) {
      if (i > 0) s += ',';
      const lo = d.min[base + i]!;
      const hi = d.max[base + i]!;
      s += lo === hi ? hx(lo) : `${hx(lo)}:${hx(hi)}`;
    }
  }
  return s + '"';
}
