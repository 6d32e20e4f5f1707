import { z } from 'zod';
import { C2yError } from '../errors/index.js';

/**
 * The agent's lines, checked before c2y believes them: the agent is a separate process, and a line it did not mean
 * (a log line on stdout, a cut line) must stop the stream, never be applied half-read. Cell values stay hex here: the
 * table's types decode them (change-decoder.ts).
 */
const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const micros = z.number().int();
const position = { segment: z.number().int().nonnegative(), position: z.number().int().nonnegative() };

const cellSchema = z.object({
  column: z.string(), ts: micros.optional(), path: hex.optional(), deleted: z.literal(true).optional(),
  ttl: z.number().int().positive().optional(), expires: z.number().int().optional(), value: hex.optional(),
  /** A non-frozen collection or UDT cleared before this write (its whole old content deleted at this time). */
  cleared: micros.optional(),
}).strict();

const rowSchema = z.object({
  clustering: z.array(hex), ts: micros.optional(), ttl: z.number().int().nonnegative().optional(), deleted: micros.optional(), cells: z.array(cellSchema),
}).strict();

const boundSchema = z.object({ kind: z.string(), values: z.array(hex) }).strict();

export const agentLineSchema = z.discriminatedUnion('type', [
  // at: the node's clock (ms) when the agent loaded the table, before it reads: the clock skew is known from the start.
  z.object({ type: z.literal('table'), table: z.string(), id: z.string(), at: z.number().int() }).strict(),
  z.object({
    type: z.literal('change'), ...position, table: z.string(), key: hex, partitionDeleted: micros.optional(),
    ranges: z.array(z.object({ start: boundSchema, end: boundSchema, ts: micros }).strict()).optional(),
    static: rowSchema.optional(), rows: z.array(rowSchema).optional(),
  }).strict(),
  z.object({ type: z.literal('segment-done'), segment: z.number().int().nonnegative(), file: z.string() }).strict(),
  z.object({
    type: z.literal('caught-up'), ...position, at: z.number().int(), rawBytes: z.number().int().nonnegative(), rawLimit: z.number().int().nonnegative(),
    /** The node's commit-log sync period (ms): a write reaches cdc_raw at most this long after it was acknowledged. */
    syncMs: z.number().int().nonnegative().optional(),
  }).strict(),
]);

export type AgentLine = z.infer<typeof agentLineSchema>;
export type ChangeLine = Extract<AgentLine, { type: 'change' }>;
export type ChangedRow = z.infer<typeof rowSchema>;
export type ChangedCell = z.infer<typeof cellSchema>;

/** One stdout line of the agent, checked; a line that is not one of its events stops the stream with a typed error. */
export function parseAgentLine(line: string): AgentLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new C2yError('CDC_AGENT_FAILED', `the CDC agent printed a line that is not JSON: ${line.slice(0, 200)}`, { hint: 'nothing was applied from it; start the agent again from its last position (--from)' });
  }
  const parsed = agentLineSchema.safeParse(json);
  if (!parsed.success) {
    throw new C2yError('CDC_AGENT_FAILED', `the CDC agent printed a line c2y does not know (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''}): ${line.slice(0, 200)}`, {
      hint: 'is the agent the one this c2y ships? nothing was applied from it',
    });
  }
  return parsed.data;
}

/** Where a change stream stands on one node: the last change read (or the point a caught-up line names). */
export interface LogPosition {
  readonly segment: number;
  readonly position: number;
}

/** Whether `a` is strictly later in the node's log than `b`. */
export function isAfter(a: LogPosition, b: LogPosition): boolean {
  return a.segment > b.segment || (a.segment === b.segment && a.position > b.position);
}

export function formatPosition(at: LogPosition): string {
  return `${at.segment}:${at.position}`;
}

export function parsePosition(text: string): LogPosition {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) throw new C2yError('CONFIG_INVALID', `"${text}" is not a log position`, { hint: 'a position is <segment>:<offset>, as the agent prints them (e.g. 1796102451303:75711)' });
  return { segment: Number(match[1]), position: Number(match[2]) };
}

/** cdc_raw's share of cdc_total_space from which a reader is warned (Cassandra refuses CDC writes at 100 %). */
export const CDC_SPACE_WARNING_SHARE = 0.8;

/** A warning while cdc_raw is near full, saying what happens at full and what frees it; else undefined. */
export function cdcSpaceWarning(line: Pick<Extract<AgentLine, { type: 'caught-up' }>, 'rawBytes' | 'rawLimit'>): string | undefined {
  if (line.rawLimit <= 0 || line.rawBytes < line.rawLimit * CDC_SPACE_WARNING_SHARE) return undefined;
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `cdc_raw holds ${mib(line.rawBytes)} of its ${mib(line.rawLimit)} (cdc_total_space, ${Math.round((line.rawBytes / line.rawLimit) * 100)} %): at full, Cassandra refuses writes to CDC tables; segments must be applied and deleted (or cdc_total_space raised)`;
}
