import { C2yError } from '../errors/index.js';
import { quoteIdent, targetColumnName, type ScalarName, type SourceColumn, type SourceTable } from '../schema/index.js';

/**
 * `source.where`: the partitions a run reads, as equalities on partition-key columns. Cassandra filters them in
 * each token-range read (ALLOW FILTERING on partition-key columns only: it skips a partition by its key, never reads
 * its rows), and validate puts the same condition on the target. Parsed by c2y, never passed through as text, so
 * what reaches either server is c2y's own rendering of checked literals.
 */
export interface SourceFilter {
  /** As the user wrote it, for messages and the run's plan. */
  readonly text: string;
  /** The condition in CQL, over source column names. */
  readonly cql: string;
  /** The same condition in SQL, over target column names. */
  readonly sql: string;
}

type Literal = { readonly kind: 'string'; readonly value: string } | { readonly kind: 'integer'; readonly value: bigint } | { readonly kind: 'uuid'; readonly value: string } | { readonly kind: 'boolean'; readonly value: boolean };

interface Condition {
  readonly column: string;
  readonly values: readonly Literal[];
}

/** Whole numbers, 'strings', "quoted names", uuids, bare words, operators, ( ) and , — each as one token. */
const TOKEN = /\s*(?:-?\d+(?![\w-])|'(?:[^']|'')*'|"(?:[^"]|"")+"|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-])|[A-Za-z_][A-Za-z0-9_]*|<=|>=|!=|<>|<|>|=|\(|\)|,)/y;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuse(where: string, why: string): C2yError {
  return new C2yError('CONFIG_INVALID', `source.where "${where}": ${why}`, {
    hint: 'write equalities on partition-key columns joined by AND, e.g. source.where: "tenant_id = 42 AND region IN (\'eu\', \'us\')"',
  });
}

function tokenize(where: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < where.length) {
    if (/^\s*$/.test(where.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(where);
    if (!match) throw refuse(where, `cannot read it from "${where.slice(at, at + 20)}"`);
    tokens.push(match[0].trim());
  }
  return tokens;
}

function literalOf(where: string, token: string | undefined): Literal {
  if (token === undefined) throw refuse(where, 'it ends where a value was expected');
  if (/^-?\d+$/.test(token)) return { kind: 'integer', value: BigInt(token) };
  if (token.startsWith("'")) {
    const value = token.slice(1, -1).replace(/''/g, "'");
    if (value.includes('\u0000')) throw refuse(where, 'a value holds U+0000, which PostgreSQL text cannot');
    return { kind: 'string', value };
  }
  if (UUID.test(token)) return { kind: 'uuid', value: token.toLowerCase() };
  if (/^(true|false)$/i.test(token)) return { kind: 'boolean', value: token.toLowerCase() === 'true' };
  throw refuse(where, `${token} is not a value c2y takes here (a 'string', a whole number, a uuid, true or false)`);
}

function columnName(where: string, token: string | undefined): string {
  if (token === undefined || /^([=<>!(),]|'.*)/.test(token) || /^-?\d/.test(token)) throw refuse(where, `expected a column name, found ${token ?? 'the end'}`);
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase();
}

/** `col = v` and `col IN (v, …)` joined by AND. */
function parseConditions(where: string): Condition[] {
  const tokens = tokenize(where);
  const conditions: Condition[] = [];
  let at = 0;
  for (;;) {
    const column = columnName(where, tokens[at++]);
    const operator = tokens[at++]?.toUpperCase();
    if (operator === '=') conditions.push({ column, values: [literalOf(where, tokens[at++])] });
    else if (operator === 'IN') {
      if (tokens[at++] !== '(') throw refuse(where, `IN needs a list in parentheses after ${column}`);
      const values: Literal[] = [literalOf(where, tokens[at++])];
      while (tokens[at] === ',') values.push(literalOf(where, tokens[(at += 2) - 1]));
      if (tokens[at++] !== ')') throw refuse(where, `the IN list of ${column} is not closed`);
      conditions.push({ column, values });
    } else throw refuse(where, `only = and IN are taken, found ${operator ?? 'the end'} after ${column}`);
    if (at >= tokens.length) return conditions;
    if (tokens[at++]?.toUpperCase() !== 'AND') throw refuse(where, `conditions are joined by AND, found ${tokens[at - 1] ?? 'the end'}`);
  }
}

const INTEGER_BITS: Partial<Record<ScalarName, number>> = { tinyint: 8, smallint: 16, int: 32, bigint: 64 };
const STRING_TYPES: readonly ScalarName[] = ['text', 'ascii'];

/** Why `literal` cannot be a value of a column of type `type`, or undefined when it can. */
function typeProblem(type: ScalarName, literal: Literal): string | undefined {
  const bits = INTEGER_BITS[type];
  if (literal.kind === 'integer' && (bits !== undefined || type === 'varint')) {
    if (bits === undefined) return undefined;
    const limit = 1n << BigInt(bits - 1);
    return literal.value < -limit || literal.value >= limit ? `${literal.value} does not fit a ${type}` : undefined;
  }
  if (literal.kind === 'string' && STRING_TYPES.includes(type)) return type === 'ascii' && /[^\x00-\x7f]/.test(literal.value) ? `'${literal.value}' is not ascii` : undefined;
  if (literal.kind === 'uuid' && (type === 'uuid' || type === 'timeuuid')) return undefined;
  if (literal.kind === 'boolean' && type === 'boolean') return undefined;
  return `a ${literal.kind} cannot be compared with a ${type} column`;
}

const cqlLiteral = (literal: Literal): string => (literal.kind === 'string' ? `'${literal.value.replace(/'/g, "''")}'` : String(literal.value));
const sqlLiteral = (literal: Literal): string => (literal.kind === 'string' || literal.kind === 'uuid' ? `'${literal.value.replace(/'/g, "''")}'` : String(literal.value));

function rendered(conditions: readonly Condition[], name: (column: string) => string, literal: (l: Literal) => string): string {
  return conditions.map(({ column, values }) => (values.length === 1 ? `${name(column)} = ${literal(values[0] as Literal)}` : `${name(column)} IN (${values.map(literal).join(', ')})`)).join(' AND ');
}

/** `source.where` checked against the table: partition-key columns only, each once, with values of its type. */
export function parseSourceFilter(where: string, table: SourceTable): SourceFilter {
  const conditions = parseConditions(where);
  const seen = new Set<string>();
  for (const { column, values } of conditions) {
    const found = table.columns.find((c) => c.name === column);
    if (!found) throw refuse(where, `${table.name} has no column ${column}`);
    if (found.role !== 'partition') throw refuse(where, `${column} is not a partition-key column (${table.partitionKeys.join(', ')}); filtering any other column would read every row`);
    if (seen.has(column)) throw refuse(where, `${column} is named twice`);
    seen.add(column);
    if (found.type.kind !== 'scalar') throw refuse(where, `${column} is a ${found.type.kind}; c2y filters text, integer, uuid and boolean partition keys`);
    const type = found.type.name;
    for (const value of values) {
      const problem = typeProblem(type, value);
      if (problem) throw refuse(where, `${column}: ${problem}`);
    }
  }
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  return {
    text: where,
    cql: rendered(conditions, quoteIdent, cqlLiteral),
    sql: rendered(conditions, (column) => quoteIdent(targetColumnName(byName.get(column) as SourceColumn)), sqlLiteral),
  };
}
