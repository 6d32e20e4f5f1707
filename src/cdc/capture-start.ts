import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { C2yConfig } from '../config/index.js';
import { C2yError } from '../errors/index.js';
import { CdcStore, firstTargetEndpoint, openTarget } from '../sink/index.js';
import type { LogPosition } from './agent-events.js';
import { cdcStreamId } from './live-apply.js';
import { nodeLines, type CdcNode, type LocalCdcNode } from './node-reader.js';

/**
 * A node as `--cdc-node` names it: a Cassandra home (conf/cassandra.yaml and lib/ under it), or `<yaml>,<lib>`. Its
 * name is the yaml's listen_address (how positions are stored: the same node must be named the same way each time).
 */
export function cdcNodeOf(spec: string): LocalCdcNode {
  const [first, second] = spec.split(',');
  const yaml = second === undefined ? `${first}/conf/cassandra.yaml` : (first as string);
  const libDir = second === undefined ? `${first}/lib` : second;
  let settings: unknown;
  try {
    settings = parse(readFileSync(yaml, 'utf8'));
  } catch (error) {
    throw new C2yError('CONFIG_INVALID', `--cdc-node ${spec}: ${yaml} cannot be read as YAML (${(error as Error).message})`, {
      hint: 'give each node as its Cassandra home (--cdc-node /opt/cassandra) or as <cassandra.yaml>,<lib folder>',
    });
  }
  const address = (settings as { listen_address?: unknown } | null)?.listen_address;
  return { name: typeof address === 'string' && address !== '' ? address : yaml, yaml, libDir };
}

/**
 * Where each node's log ends now (its agent's --end), with the nodes' Cassandra version and CDC on the tables checked
 * (or CDC enabled) first: taken before the run is chosen, so a setup error refuses the run before anything changes.
 */
export async function captureEnds(config: C2yConfig, nodes: readonly CdcNode[], enableCdc: boolean, tables: readonly string[] = [config.source.table]): Promise<Map<string, LogPosition>> {
  if (new Set(nodes.map((node) => node.name)).size !== nodes.length) {
    throw new C2yError('CONFIG_INVALID', 'two --cdc-node name the same node (the same listen_address)', { hint: 'name each Cassandra node once' });
  }
  const ends = new Map<string, LogPosition>();
  for (const node of nodes) {
    for await (const { line } of nodeLines(node)({ config, tables, follow: false, endOnly: true, enableCdc })) {
      if (line.type === 'caught-up') ends.set(node.name, { segment: line.segment, position: line.position });
    }
    if (!ends.has(node.name)) throw new C2yError('CDC_AGENT_FAILED', `the CDC agent of ${node.name} did not say where its log ends`, { hint: 'run c2y cdc agent on that node to see why' });
  }
  return ends;
}

/**
 * Records a run's capture in the target before its first page is read: a new run forgets the stream's old positions
 * and records the log ends taken before it (earlier is safe: a change applied that the copy also read is read again).
 * A resumed run keeps the positions its first start recorded, so nothing written since is missed; one started without
 * --live (or by another run) has none, and is refused: its copied splits were read before any capture.
 */
export async function recordCapture(config: C2yConfig, ends: ReadonlyMap<string, LogPosition>, run: { readonly runId: string; readonly resumed: boolean }): Promise<void> {
  const store = new CdcStore(config.target.checkpointSchema);
  const target = await openTarget(firstTargetEndpoint(config.target), config.target, 'c2y capture');
  try {
    await store.ensureTables(target, config.target.checkpointSchema);
    const stream = cdcStreamId(config);
    const stored = await store.readPositions(target, stream);
    if (run.resumed) {
      const ours = stored.filter((position) => position.runId === run.runId).map((position) => position.node);
      const missing = [...ends.keys()].filter((node) => !ours.includes(node));
      if (missing.length === 0) return;
      throw new C2yError('RUN_UNFINISHED', `run ${run.runId} has no capture recorded on ${missing.join(', ')}: it was started without --live (or with other nodes), so changes made while it copied could be missed`, {
        hint: 'start the live migration over: c2y migrate --live --restart (name the same --cdc-node each time)',
      });
    }
    await target.query('BEGIN');
    try {
      await store.forget(target, stream);
      for (const [node, at] of ends) await store.recordStart(target, stream, run.runId, node, at);
      await target.query('COMMIT');
    } catch (error) {
      await target.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await target.end().catch(() => undefined);
  }
}
