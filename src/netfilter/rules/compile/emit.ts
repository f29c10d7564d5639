// Constant pools of generated code. A chain body is emitted once per chain; its data-dependent values
// (addresses, masks, interface ids, slot numbers, module objects, chains it calls) go through an Emitter that
// either writes them as literals (small tables: one fully specialised function per chain) or as loads from
// flat table-wide pools K (int32) / KO (objects) at the chain's offsets o / p, so that chains of identical
// shape — kube-proxy's thousands of KUBE-SVC-/KUBE-SEP- chains — share one template function and a chain
// costs a few words of K rather than a closure.

/** Collects the constants of one chain body. */
export interface Emitter {
  /** An int32 value (addresses are passed as `v | 0`). */
  int(v: number): string;
  /** An object (module, module data, state, index). */
  obj(v: unknown): string;
  /** Expression calling the compiled function of chain `ci` at jump depth `depth` (an expression). */
  call(ci: number, depth: string): string;
}

/** Literal mode: values in the source, object constants hoisted to factory-level `O<n>` bindings. */
export class LiteralEmitter implements Emitter {
  /** Objects referenced by the source as O<n> (indices into this array). */
  readonly objects: unknown[];
  private readonly index: Map<unknown, number>;

  constructor(objects: unknown[], index: Map<unknown, number>) {
    this.objects = objects;
    this.index = index;
  }

  int(v: number): string {
    const x = v | 0;
    return x < 0 ? `(${x})` : String(x);
  }

  obj(v: unknown): string {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.objects.length;
      this.objects.push(v);
      this.index.set(v, i);
    }
    return `O${i}`;
  }

  call(ci: number, depth: string): string {
    return `c${ci}(skb, env, res, ${depth})`;
  }
}

/** A chain a template calls: K[at] .. K[at + 2] receive the callee's template index and pool offsets. */
export interface ChainPatch {
  at: number;
  chain: number;
}

/** Template mode: values loaded from the pools; the emitted source is the template's identity. */
export class PoolEmitter implements Emitter {
  readonly ints: number[] = [];
  readonly objs: unknown[] = [];
  readonly patches: ChainPatch[] = [];

  int(v: number): string {
    this.ints.push(v | 0);
    return `K[o + ${this.ints.length - 1}]`;
  }

  obj(v: unknown): string {
    this.objs.push(v);
    return `KO[p + ${this.objs.length - 1}]`;
  }

  call(ci: number, depth: string): string {
    const at = this.ints.length;
    this.ints.push(0, 0, 0);
    this.patches.push({ at, chain: ci });
    return `TF[K[o + ${at}]](skb, env, res, ${depth}, K[o + ${at + 1}], K[o + ${at + 2}])`;
  }
}
