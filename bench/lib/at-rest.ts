/**
 * When is a Cassandra "at rest"? A fresh load leaves memtable flushes and compactions running for tens of seconds,
 * and a phase measured meanwhile shares the cores with them. An absolute threshold alone (a tenth of a core a node)
 * is stricter than some idle nodes: on 2026-12-06's Intel machine an idle node ran at 0.10–0.19 of a core (gossip,
 * its own housekeeping), so each full scenario waited its whole 5 minutes. So a node also counts as at rest once its
 * CPU has settled on its own floor: the last few windows all near the lowest seen, and that floor itself low. A
 * compaction running steadily keeps the floor high and so keeps the wait going.
 */

/** Under this share of one core a node, one window is enough. */
export const AT_REST_CORES_PER_NODE = 0.1;
/** A floor above this share of a core a node is work, not idling. */
export const IDLE_FLOOR_MAX_CORES_PER_NODE = 0.3;
/** Windows within this of the lowest seen count as on the floor. */
export const FLOOR_BAND_CORES_PER_NODE = 0.05;
/** This many windows in a row on the floor. */
export const FLOOR_WINDOWS = 3;

/** `shares`: the Cassandra processes' CPU (cores) in each window so far, oldest first. */
export function cassandraAtRest(shares: readonly number[], nodes: number): boolean {
  const perNode = Math.max(1, nodes);
  const last = shares.at(-1);
  if (last === undefined) return false;
  if (last < AT_REST_CORES_PER_NODE * perNode) return true;
  if (shares.length < FLOOR_WINDOWS) return false;
  const floor = Math.min(...shares);
  if (floor > IDLE_FLOOR_MAX_CORES_PER_NODE * perNode) return false;
  return shares.slice(-FLOOR_WINDOWS).every((share) => share <= floor + FLOOR_BAND_CORES_PER_NODE * perNode);
}

/**
 * At rest is not yet warm: Cassandra's JVMs compile their read path only as scans run, so right after a start and a
 * load each full scan cost less than the one before. On 2026-12-06's Intel machine, at rest after a 1M-row load on a
 * fresh 3-node ring, three trials' source-only scans cost 12.55, 11.33 and 9.43 µs of Cassandra's CPU a row, and the
 * bound (cores over Cassandra's plus PostgreSQL's cost) moved with it: e2e / bound read 0.93, 0.82, 0.78. Untimed
 * scans first, until two in a row cost within this share of each other.
 */
export const WARM_SCAN_TOLERANCE = 0.08;
/** Scans at most: a noisy machine may never hold two within the tolerance (one scan of six ran 25 % dearer). */
export const WARM_SCANS_MAX = 5;

/** `microsPerRow`: Cassandra's CPU a row of each warm-up scan so far, oldest first. Warm: the last two agree. */
export function cassandraWarm(microsPerRow: readonly number[]): boolean {
  const last = microsPerRow.at(-1);
  const before = microsPerRow.at(-2);
  if (last === undefined || before === undefined) return false;
  return Math.abs(last - before) <= WARM_SCAN_TOLERANCE * Math.min(last, before);
}
