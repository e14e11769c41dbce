/**
 * A plain copy of a state in which every Map and Set becomes an array of its
 * entries in insertion order. Vitest's equality ignores that order, but states
 * give it meaning (the members map is the join order), so specs that must prove a
 * state unchanged compare snapshots with `toStrictEqual`.
 */
export type Snapshot =
  | null
  | undefined
  | boolean
  | number
  | string
  | Snapshot[]
  | { map: Array<[Snapshot, Snapshot]> }
  | { set: Snapshot[] }
  | { [key: string]: Snapshot };

export function orderedSnapshot(value: unknown): Snapshot {
  if (value instanceof Map) {
    return { map: [...value].map(([key, entry]) => [orderedSnapshot(key), orderedSnapshot(entry)]) };
  }
  if (value instanceof Set) return { set: [...value].map(orderedSnapshot) };
  if (Array.isArray(value)) return value.map(orderedSnapshot);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, orderedSnapshot(entry)]));
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new Error(`a state should hold no ${typeof value}`);
  }
  return value as Snapshot;
}
