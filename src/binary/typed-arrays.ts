/** Growing the typed arrays that the recorder, the mark set and the record shape index by. Pure. */

/** `a` itself when it holds `capacity` elements, else a copy of it with room for `capacity`. */
export function withCapacity<T extends Float64Array | Uint32Array>(a: T, capacity: number): T {
  if (capacity <= a.length) return a;
  const grown = new (a.constructor as new (length: number) => T)(capacity);
  grown.set(a);
  return grown;
}
