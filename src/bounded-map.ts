/** A Map that keeps its newest `max` entries: past that, the oldest (first set) goes. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }

  /** The value of `key`, removed: each is taken once. */
  take(key: K): V | undefined {
    const value = this.get(key);
    if (value !== undefined) this.delete(key);
    return value;
  }
}
