/**
 * How stored events of an older schema version are read as the current one. A
 * writer stores each event with its type's current `version`; a reader passes
 * type, stored version and data to `upcast`, which applies one upcaster per
 * version step (v1→v2→…→current) and checks the result against the current
 * schema. Upcasters are plain functions over JSON data, so old events are never
 * rewritten in the store.
 */
import type { z } from 'zod';

export interface EventDefinition<Schema extends z.ZodType = z.ZodType> {
  /** The current schema version, starting at 1; bumped with an upcaster from the previous one. */
  readonly version: number;
  readonly schema: Schema;
}

export type EventDefinitions = Readonly<Record<string, EventDefinition>>;

/** Turns data stored at version `n` into the shape of version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

/** Per event type, the upcaster from each old version (`{ MessageSent: { 1: v1ToV2 } }`). */
export type UpcasterTable<Definitions extends EventDefinitions> = {
  readonly [Type in keyof Definitions]?: Readonly<Record<number, Upcaster>>;
};

/** Stored data that cannot be read as its type's current shape: a bug or a missing upcaster. */
export class EventDecodingError extends Error {
  override readonly name = 'EventDecodingError';
}

export type Upcast<Definitions extends EventDefinitions> = <Type extends keyof Definitions & string>(
  type: Type,
  version: number,
  data: unknown,
) => z.output<Definitions[Type]['schema']>;

export function createUpcast<Definitions extends EventDefinitions>(
  definitions: Definitions,
  upcasters: UpcasterTable<Definitions>,
): Upcast<Definitions> {
  return (type, version, data) => {
    const definition = Object.hasOwn(definitions, type) ? definitions[type] : undefined;
    if (!definition) throw new EventDecodingError(`unknown event type ${type}`);
    if (!Number.isInteger(version) || version < 1 || version > definition.version) {
      // A newer version means a newer build wrote it: reading it as the old shape would lose data.
      throw new EventDecodingError(`${type} v${version} cannot be read as v${definition.version}`);
    }
    let current = data;
    for (let from = version; from < definition.version; from += 1) {
      const step = upcasters[type]?.[from];
      if (!step) throw new EventDecodingError(`no upcaster for ${type} from v${from} to v${from + 1}`);
      current = step(current);
    }
    const parsed = definition.schema.safeParse(current);
    if (!parsed.success) {
      throw new EventDecodingError(`${type} v${version} does not match its schema: ${parsed.error.message}`);
    }
    return parsed.data as z.output<Definitions[typeof type]['schema']>;
  };
}
