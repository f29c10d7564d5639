// String interning: names (interfaces, chains) become small integers once, so hot paths compare numbers.

export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  /** Id of `name`, adding it when new. */
  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  /** Id of `name`, or -1 when unknown. */
  lookup(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new RangeError(`unknown interned id ${id}`);
    return n;
  }

  get size(): number {
    return this.names.length;
  }

  all(): readonly string[] {
    return this.names;
  }
}
