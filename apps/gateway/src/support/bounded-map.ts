/**
 * A Map that keeps at most `capacity` entries: `put` moves a key to the end of the Map's order, and the entry
 * put longest ago goes first when there is no room.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly capacity: number) {
    super();
  }

  put(key: K, value: V): void {
    this.delete(key);
    this.set(key, value);
    if (this.size > this.capacity) this.delete(this.keys().next().value!);
  }
}
