/**
 * How to take back in-place changes to a decision state. States evolve in place
 * (copying a million-entry map per event would make a replay quadratic), so a
 * caller that evolves a draft it may fail to store gives `evolve` an undo log, and
 * `rollback()` returns the state to exactly what it was: same values, same
 * insertion order in every Map and Set (order can carry meaning, e.g. who joined
 * first), same object identities.
 *
 * `evolve` functions make every in-place change through the helpers below, which
 * record the reverse step when given a log and cost nothing extra when not.
 */
export class UndoLog {
  private readonly steps: Array<() => void> = [];

  /** Changes recorded so far; a mark to pass to `rollbackTo`. */
  get length(): number {
    return this.steps.length;
  }

  /** Records how to reverse a change that was just made. */
  record(step: () => void): void {
    this.steps.push(step);
  }

  /** Reverses every recorded change, newest first, and empties the log. */
  rollback(): void {
    this.rollbackTo(0);
  }

  /** Reverses the changes recorded after `mark` (an earlier `length`), newest first. */
  rollbackTo(mark: number): void {
    while (this.steps.length > mark) this.steps.pop()!();
  }
}

/** Keys of `T` that may be absent, the only ones `removeField` accepts. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** `target[key] = value`. */
export function assignField<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K],
  undo?: UndoLog,
): void {
  if (undo) {
    const had = Object.hasOwn(target, key);
    const previous = target[key];
    undo.record(() => {
      if (had) target[key] = previous;
      else delete target[key];
    });
  }
  target[key] = value;
}

/** `delete target[key]`, for an optional field. */
export function removeField<T extends object, K extends OptionalKeys<T>>(
  target: T,
  key: K,
  undo?: UndoLog,
): void {
  if (!Object.hasOwn(target, key)) return;
  if (undo) {
    const previous = target[key];
    undo.record(() => {
      target[key] = previous;
    });
  }
  delete target[key];
}

/** `map.set(key, value)`: a new key goes last, an existing one keeps its place. */
export function setEntry<K, V>(map: Map<K, V>, key: K, value: V, undo?: UndoLog): void {
  if (undo) {
    if (map.has(key)) {
      const previous = map.get(key) as V;
      undo.record(() => map.set(key, previous));
    } else {
      // Undone newest first, the key is still where `set` put it: deleting it restores the order.
      undo.record(() => map.delete(key));
    }
  }
  map.set(key, value);
}

/**
 * `map.delete(key)`. With a log it finds the key's place (O(size)), and taking it
 * back re-inserts the key there; keep it to small maps, such as members.
 */
export function deleteEntry<K, V>(map: Map<K, V>, key: K, undo?: UndoLog): void {
  if (!map.has(key)) return;
  if (undo) {
    const value = map.get(key) as V;
    const index = indexOf(map.keys(), key);
    undo.record(() => {
      if (index === map.size) {
        map.set(key, value); // it was last: no need to rebuild the order
        return;
      }
      const entries = [...map];
      entries.splice(index, 0, [key, value]);
      map.clear();
      for (const [k, v] of entries) map.set(k, v);
    });
  }
  map.delete(key);
}

/** `set.add(value)`. */
export function addValue<V>(set: Set<V>, value: V, undo?: UndoLog): void {
  if (set.has(value)) return;
  if (undo) undo.record(() => set.delete(value));
  set.add(value);
}

/** `set.delete(value)`. With a log it costs O(size) (see `deleteEntry`); keep it to small sets. */
export function deleteValue<V>(set: Set<V>, value: V, undo?: UndoLog): void {
  if (!set.has(value)) return;
  if (undo) {
    const index = indexOf(set.values(), value);
    undo.record(() => {
      if (index === set.size) {
        set.add(value);
        return;
      }
      const values = [...set];
      values.splice(index, 0, value);
      set.clear();
      for (const v of values) set.add(v);
    });
  }
  set.delete(value);
}

function indexOf<T>(items: Iterable<T>, wanted: T): number {
  let index = 0;
  for (const item of items) {
    if (item === wanted) return index;
    index += 1;
  }
  return index;
}
