// JavaScript source of one chain of a TableLayout: each rule becomes an `if` over the numeric Skb/PacketMeta
// fields (ip_packet_match inlined, common matches inlined, other matches calling module.match()), counters
// before the target, then the target (verdict, RETURN, jump as a call with the stack depth, goto as a tail
// call, extension target). Indexed runs call a RunIndex and evaluate only the candidates. The generated code
// mirrors interpret.ts entry for entry; the conformance suite holds them equal.

import { IfTest, Inv, SlotTarget } from '../engine-layout.js';
import type { TableLayout } from '../engine-layout.js';
import type { Emitter } from './emit.js';
import type { RunIndex } from './run-index.js';
import { INFO_STRIDE } from './run-index.js';
import { inlineMatch, inlineTarget } from './inline.js';

/** An indexed run: rules k0..k1-1 (chain-relative) served by `index`. */
export interface PlannedRun {
  k0: number;
  k1: number;
  index: RunIndex;
}

/** Conjuncts of ip_packet_match for slot s ('false' when the rule can never match). */
function ipConds(L: TableLayout, s: number, E: Emitter, out: string[]): void {
  const inv = L.invFlags[s]!;
  const addr = (field: string, v: number, mask: number, inverted: boolean): void => {
    if (mask === 0) {
      if (inverted) out.push('false'); // (x & 0) != 0 is false, inverted: never matches
      return;
    }
    const cmp = inverted ? '!==' : '===';
    if (mask === 0xffffffff) out.push(`(m.${field} ^ ${E.int(v)}) ${cmp} 0`);
    else out.push(`((m.${field} ^ ${E.int(v)}) & ${E.int(mask)}) ${cmp} 0`);
  };
  addr('saddr', L.src[s]!, L.smsk[s]!, (inv & Inv.SRCIP) !== 0);
  addr('daddr', L.dst[s]!, L.dmsk[s]!, (inv & Inv.DSTIP) !== 0);
  const iface = (test: number, id: number, field: string, input: boolean, inverted: boolean): void => {
    if (test === IfTest.ANY) {
      if (inverted) out.push('false');
      return;
    }
    if (test === IfTest.EXACT) out.push(`skb.${field} ${inverted ? '!==' : '==='} ${E.int(id)}`);
    else out.push(`${inverted ? '!' : ''}L.prefixMatch(${E.int(s)}, skb.${field}, ${input})`);
  };
  iface(L.inTest[s]!, L.inId[s]!, 'inIf', true, (inv & Inv.VIA_IN) !== 0);
  iface(L.outTest[s]!, L.outId[s]!, 'outIf', false, (inv & Inv.VIA_OUT) !== 0);
  const p = L.proto[s]!;
  if (p !== 0) out.push(`m.ipProto ${(inv & Inv.PROTO) !== 0 ? '!==' : '==='} ${E.int(p)}`);
  const frag = L.frag[s]! === 1;
  const invFrag = (inv & Inv.FRAG) !== 0;
  // NF_INVF(IPT_INV_FRAG, (flags & IPT_F_FRAG) && !isfrag) must be false
  if (frag && !invFrag) out.push('m.fragOffset !== 0');
  else if (frag && invFrag) out.push('m.fragOffset === 0');
  else if (!frag && invFrag) out.push('false');
}

/** Source of one rule (chain-relative index k, slot s). */
function emitRule(L: TableLayout, s: number, k: number, E: Emitter): string {
  const conds: string[] = [];
  ipConds(L, s, E, conds);
  let generic = false;
  for (let j = L.matchStart[s]!; j < L.matchStart[s + 1]!; j++) {
    const inl = inlineMatch(L, j, E);
    if (inl !== null) {
      if (inl.expr !== 'true') conds.push(inl.expr);
      if (inl.mayHotdrop) generic = true;
      continue;
    }
    generic = true;
    conds.push(`/*${L.matchModule[j]!.name}*/${E.obj(L.matchModule[j])}.match(${E.obj(L.matchData[j])}, skb, menv, ${E.obj(L.matchState[j])})`);
  }
  const slot = `b + ${k}`;
  const acct = `res.rulesVisited += ${k + 1} - q; q = ${k + 1};`;
  const hot = generic ? `if (menv.hotdrop !== 0) { res.slot = ${slot}; return HOT; }` : '';
  let body = `${acct} CV[cb + ${2 * k}] += 1; CV[cb + ${2 * k + 1}] += m.ipTotalLen;`;
  const kind = L.targetKind[s]!;
  switch (kind) {
    case SlotTarget.NONE:
      body += hot;
      break;
    case SlotTarget.VERDICT:
      body += `${hot} res.slot = ${slot}; return ${E.int(L.verdict[s]!)};`;
      break;
    case SlotTarget.RETURN:
      body += `${hot} return RET;`;
      break;
    case SlotTarget.JUMP:
      body +=
        `${hot} if (d >= SS) { res.overflow = 1; res.slot = ${slot}; return 0; }` +
        ` v = ${E.call(L.jumpChain[s]!, 'd + 1')}; if (v !== RET) return v;`;
      break;
    case SlotTarget.GOTO:
      body += `${hot} return ${E.call(L.jumpChain[s]!, 'd')};`;
      break;
    case SlotTarget.EXTENSION: {
      const t = L.targetModule[s]!;
      const inl = inlineTarget(L, s, E);
      if (inl !== null) {
        body += ` ${inl}${hot}`;
        break;
      }
      body +=
        ` v = /*${t.name}*/${E.obj(t)}.target(${E.obj(L.targetData[s])}, skb, env.target, ${E.obj(L.targetState[s])});` +
        `${hot} if (v !== -1) { res.slot = ${slot}; return v; }`;
      break;
    }
  }
  const cond = conds.length === 0 ? 'true' : conds.join(' && ');
  let src = `if (${cond}) { ${body} }`;
  if (generic) src += ` else if (menv.hotdrop !== 0) { res.rulesVisited += ${k + 1} - q; res.slot = ${slot}; return HOT; }`;
  return src + '\n';
}

/**
 * Source of an indexed run (chain-relative rules k0..k1-1). Candidates whose key is their whole condition
 * are counted and their target run from the index's `info` words; the others go through X.exec, as does
 * every rule of the run for packets the index cannot serve.
 */
function emitRun(run: PlannedRun, E: Emitter): string {
  const ix = E.obj(run.index);
  const acct = `res.rulesVisited += s + 1 - b - q; q = s + 1 - b;`;
  const step = `v = X.exec(s, skb, env, res, d); if (v !== NOMATCH) { ${acct} if (v !== CONT) return v; }`;
  const T = SlotTarget;
  const keyed =
    `${acct} CV[2 * s] += 1; CV[2 * s + 1] += m.ipTotalLen; const k = IN[i + 2];\n` +
    `    if (k === ${T.JUMP}) { if (d >= SS) { res.overflow = 1; res.slot = s; return 0; } v = TF[IN[i + 3]](skb, env, res, d + 1, IN[i + 4], IN[i + 5]); if (v !== RET) return v; }\n` +
    `    else if (k === ${T.VERDICT}) { res.slot = s; return IN[i + 3]; }\n` +
    `    else if (k === ${T.GOTO}) return TF[IN[i + 3]](skb, env, res, d, IN[i + 4], IN[i + 5]);\n` +
    `    else if (k === ${T.RETURN}) return RET;\n` +
    `    else if (k === ${T.EXTENSION}) { v = X.extTarget(s, skb, env, res); if (v !== CONT) return v; }\n`;
  return (
    `{ const pr = m.ipProto; if (pr === 6 || pr === 17) {\n` +
    `  if (SAFE_L4(m)) { const IX = ${ix}, IN = IX.info, A = IX.a; let s = IX.first(m.daddr, pr, m.dport);\n` +
    `    while (s >= 0) { const i = (s - A) * ${INFO_STRIDE};\n` +
    `    if (IN[i + 1] === 1) { ${keyed} } else { ${step} }\n` +
    `    s = IN[i]; } }\n` +
    `  else { for (let s = b + ${run.k0}; s < b + ${run.k1}; s++) { ${step} } }\n` +
    `} }\n`
  );
}

/**
 * Body of the function of chain `ci` (parameters skb, env, res, d and, in template mode, the pool offsets
 * o, p). User chains return RET when they end;
 * builtin chains return RET too and the caller applies the policy.
 */
export function emitChainBody(L: TableLayout, ci: number, E: Emitter, runs: readonly PlannedRun[]): string {
  const c = L.chains[ci]!;
  const n = c.tail - c.start;
  let src = `const m = skb.meta; const menv = env.match; const b = ${E.int(c.start)}; const cb = 2 * b; let q = 0; let v = 0;\n`;
  let k = 0;
  let r = 0;
  while (k < n) {
    const run = runs[r];
    if (run !== undefined && run.k0 === k) {
      src += emitRun(run, E);
      k = run.k1;
      r++;
      continue;
    }
    src += emitRule(L, c.start + k, k, E);
    k++;
  }
  if (c.builtin) src += `res.rulesVisited += ${n} - q; return RET;\n`;
  else src += `res.rulesVisited += ${n + 1} - q; CV[cb + ${2 * n}] += 1; CV[cb + ${2 * n + 1}] += m.ipTotalLen; return RET;\n`;
  return src;
}
