// Constant pools of generated code. A chain body is emitted once per chain; its data-dependent values
// (addresses, masks, interface ids, slot numbers, module objects) go through an Emitter that either writes
// them as literals (small tables: one function per chain, fully specialised) or as loads from the chain's
// own constant arrays KI (int32) / KO (objects), so that chains of identical shape — kube-proxy's thousands
// of KUBE-SVC-/KUBE-SEP- chains — share one template function.

/** Collects the constants of one chain body. */
export interface Emitter {
  /** An int32 value (addresses are passed as `v | 0`). */
  int(v: number): string;
  /** An object (module, module data, state, index). */
  obj(v: unknown): string;
  /** Call expression prefix of the compiled function of chain `ci`, e.g. `c12` or `CF[KI[3]]`. */
  chain(ci: number): string;
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

  chain(ci: number): string {
    return `c${ci}`;
  }
}

/** Template mode: values loaded from per-chain arrays; the emitted source is the template's identity. */
export class PoolEmitter implements Emitter {
  readonly ints: number[] = [];
  readonly objs: unknown[] = [];

  int(v: number): string {
    this.ints.push(v | 0);
    return `KI[${this.ints.length - 1}]`;
  }

  obj(v: unknown): string {
    this.objs.push(v);
    return `KO[${this.objs.length - 1}]`;
  }

  chain(ci: number): string {
    return `CF[${this.int(ci)}]`;
  }
}
