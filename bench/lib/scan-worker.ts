/** Source-only worker: the same paged range scans as a c2y task, read the same way (raw pages unless off), dropped. */
import { splitFromJson, type SplitJson } from '../../src/plan/index.js';
import type { SourceTable } from '../../src/schema/index.js';
import { consistencyCode, openCassandra, rawReadPath, scanRanges, sessionOptionsOf } from '../../src/source/index.js';
import type { C2yConfig } from '../../src/config/index.js';

interface ScanJob { readonly config: C2yConfig; readonly table: SourceTable; readonly splits: readonly SplitJson[]; readonly cores: number; readonly fetchSize: number }

process.once('message', async (job: ScanJob) => {
  const client = await openCassandra(sessionOptionsOf(job.config.source));
  const queue = job.splits.map(splitFromJson);
  const decoder = job.config.source.rawPages ? rawReadPath(client).decoder : undefined;
  let rows = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: job.cores }, async () => {
    for (let split = queue.shift(); split; split = queue.shift()) {
      for await (const page of scanRanges({ client, table: job.table, ranges: split.ranges, fetchSize: job.fetchSize, consistency: consistencyCode(job.config.source.consistency), replicaOffset: split.id, ...(decoder === undefined ? {} : { rawPages: decoder }) })) {
        rows += page.length;
      }
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await client.shutdown();
  process.send?.({ rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }, () => process.exit(0));
});
