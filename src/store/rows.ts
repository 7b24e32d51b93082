// Shared by both backends: paging cursors and JSON columns.

/** Cursors are the `seq` of the last row of a page, as text; anything else is refused. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d{1,15}$/.test(cursor)) throw new InvalidCursorError();
  return Number(cursor);
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this service returned');
    this.name = 'InvalidCursorError';
  }
}

/** Splits a `limit + 1` row fetch into a page and the cursor of the next one. */
export function pageOf<Row, T>(rows: Row[], limit: number, seqOf: (row: Row) => number | string, map: (row: Row) => T): {
  items: T[];
  nextCursor: string | null;
} {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more ? String(seqOf(kept[kept.length - 1]!)) : null };
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}
