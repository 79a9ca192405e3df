// Rows of prepared statements decoded without drizzle's generic mapper, which inspects every field
// of every row again (mapResultRow: an is() per field per row; ~17 % of the CPU of listing 50
// tasks). The decoder is compiled once per statement from the fields drizzle selected and builds
// the rows drizzle would: the same shape, each value through its column's (or SQL's) decoder.
import { Column, is, SQL } from "drizzle-orm";

/**
 * The members drizzle's prepared queries share on both drivers (internal in its types): the fields
 * in select order, which joins may be null, and the mapper drizzle calls instead of its own with
 * the rows as arrays in field order.
 */
interface RowMapping {
  fields?: Array<{ path: string[]; field: unknown }>;
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: (rows: unknown[][]) => unknown;
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

/**
 * Gives a prepared statement a compiled row decoder. A statement it can't serve keeps drizzle's
 * mapper, rows being the same either way: no selected fields (no rows), an outer join (drizzle makes
 * an all-NULL joined table null), nesting deeper than { table: { column } }, or an unknown field.
 */
export function useCompiledDecoder<Q>(statement: Q): Q {
  const mapping = statement as RowMapping;
  const { fields, joinsNotNullableMap = {} } = mapping;
  if (!fields || mapping.customResultMapper || Object.values(joinsNotNullableMap).includes(false)) return statement;
  const steps = fields.map(({ path, field }, index) => ({ index, path, decoder: decoderOf(field) }));
  if (steps.some(({ path, decoder }) => path.length > 2 || !decoder)) return statement;
  mapping.customResultMapper = (rows) =>
    rows.map((row) => {
      const result: Record<string, unknown> = {};
      for (const { index, path, decoder } of steps) {
        const raw = row[index];
        const value = raw === null ? null : decoder!.mapFromDriverValue(raw);
        if (path.length === 1) result[path[0]!] = value;
        else ((result[path[0]!] ??= {}) as Record<string, unknown>)[path[1]!] = value;
      }
      return result;
    });
  return statement;
}

function decoderOf(field: unknown): Decoder | undefined {
  if (is(field, Column)) return field;
  // An SQL's decoder is internal in drizzle's types: what .mapWith() set, a no-op by default.
  if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
  if (is(field, SQL.Aliased)) return (field.sql as unknown as { decoder: Decoder }).decoder;
  return undefined;
}
