import pg from 'pg';
import { C2yError } from '../errors/index.js';
import { qualifiedName, type PlannedTargetColumn, type TargetName } from '../schema/index.js';

/** The text a changed table's check casts to a number, so its refusal names what changed (see targetShapeCheck). */
const CHANGED = 'c2y: the target table changed: ';

/**
 * A statement that fails, inside the commit's message and before its COMMIT, when the target's columns are no longer
 * those the run was planned against (a type, a typmod, a column gone). A COPY holds its table's ROW EXCLUSIVE lock to
 * the commit, so no ALTER TABLE lands between the COPY and this check: what it sees is what the COPY wrote into.
 * The failure is a cast of text naming each change to integer (PostgreSQL has no RAISE outside PL/pgSQL; the CASE's
 * operand is a subquery, so the cast cannot be folded at plan time). Names and types travel as escaped literals.
 */
export function targetShapeCheck(target: TargetName, columns: readonly PlannedTargetColumn[]): string | undefined {
  if (columns.length === 0) return undefined;
  const rows = columns.map((c, i) => `(${pg.escapeLiteral(c.name)}::text, ${Math.trunc(c.oid)}::bigint, ${Math.trunc(c.typmod)}::int, ${pg.escapeLiteral(c.type)}::text, ${i})`);
  return `SELECT CASE WHEN d.changed IS NULL THEN 1 ELSE (${pg.escapeLiteral(CHANGED)} || d.changed)::int END AS shaped FROM (
    SELECT string_agg(format('"%s" is %s, planned %s', e.name, coalesce(format_type(a.atttypid, a.atttypmod), 'gone'), e.type), '; ' ORDER BY e.i) AS changed
    FROM (VALUES ${rows.join(', ')}) AS e(name, oid, typmod, type, i)
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ${pg.escapeLiteral(qualifiedName(target))}::regclass AND a.attname = e.name AND a.attnum > 0 AND NOT a.attisdropped
    WHERE a.atttypid IS NULL OR a.atttypid::bigint <> e.oid OR a.atttypmod <> e.typmod) AS d`;
}

/** The check's refusal as a typed error naming each changed column; undefined for any other error. */
export function targetTableChanged(error: unknown, target: TargetName, splitId: number): C2yError | undefined {
  // The check's own cast (22P02, invalid_text_representation), and only where its text opens the quoted value.
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  if (typeof message !== 'string' || code !== '22P02') return undefined;
  const start = message.indexOf(`"${CHANGED}`) + 1;
  if (start === 0) return undefined;
  const changes = message.slice(start + CHANGED.length).replace(/"$/, '');
  return new C2yError('TARGET_TABLE_CHANGED', `split ${splitId}: the target table ${qualifiedName(target)} changed during the run (${changes}); the transaction was rolled back, nothing of it committed`, {
    hint: 'put the columns back as planned (ALTER TABLE … TYPE the planned type), then resume; or start over with --restart, which plans against the table as it is. Rows committed before the change were converted by the ALTER: c2y validate compares them',
    retryable: false,
    context: { split: splitId, table: qualifiedName(target) },
  });
}
