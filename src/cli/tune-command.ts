import { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { summaryOf } from './command-table.js';
import { addConfigOptions, configWithPasswords } from './config-options.js';
import { C2yError } from '../errors/index.js';
import { CheckpointStore, isRunId, openTarget, firstTargetEndpoint, RunSettingsStore, TUNABLE_KEYS, type TargetClient, type TunableKey, type TunedSettings } from '../sink/index.js';

const KEYS = TUNABLE_KEYS.join(', ');

/** One `--set key=value`: a tunable key, and a rate above 0 or `off` (no limit). */
export function parseTuning(assignments: readonly string[]): TunedSettings {
  if (assignments.length === 0) throw new C2yError('CONFIG_INVALID', 'nothing to change', { hint: `give one or more --set key=value, with a key among ${KEYS}` });
  const settings: TunedSettings = {};
  for (const assignment of assignments) {
    const match = /^([^=]+)=(.*)$/.exec(assignment);
    const key = match?.[1]?.trim() ?? assignment;
    if (!(TUNABLE_KEYS as readonly string[]).includes(key)) throw new C2yError('CONFIG_INVALID', `"${key}" cannot be tuned while a run goes on`, { hint: `tunable: ${KEYS}` });
    const text = (match?.[2] ?? '').trim();
    const value = text === 'off' ? null : Number(text);
    if (value !== null && !(Number.isFinite(value) && value > 0)) {
      throw new C2yError('CONFIG_INVALID', `${key} must be a number greater than 0, or off; got "${text}"`, { hint: `e.g. --set ${key}=5000, or --set ${key}=off to lift the limit` });
    }
    // Streams at once: the splits were cut when the run started, so this bounds how many run, not how many there are.
    if (key === 'parallelism' && value !== null && !Number.isInteger(value)) {
      throw new C2yError('CONFIG_INVALID', `parallelism (streams at once) must be a whole number, got "${text}"`, { hint: 'e.g. --set parallelism=4, or --set parallelism=off for executors × cores again' });
    }
    settings[key as TunableKey] = value;
  }
  return settings;
}

/** A keyspace run's table run (<run>-tNNN): its limits are the keyspace run's, which its driver follows. */
async function refuseTableOfKeyspaceRun(target: TargetClient, schema: string, runId: string): Promise<void> {
  const parentId = /^(.+)-t\d{3}$/.exec(runId)?.[1];
  const parent = parentId === undefined ? undefined : await new CheckpointStore(schema).findRun(target, parentId).catch(() => undefined);
  if (parent && parent.source.endsWith('.*')) {
    throw new C2yError('CONFIG_INVALID', `run ${runId} is one table of keyspace run ${parent.runId}: the run's limits are the keyspace run's`, {
      hint: `c2y tune ${parent.runId} --set …`,
    });
  }
}

export function tuneCommand(): Command {
  const command = new Command('tune').description(summaryOf('tune')).argument('<run>', 'the run id (c2y status lists them)');
  // The config's own --set carries the new limits (off lifts one); target.* keys it sets are for reaching the target.
  addConfigOptions(command)
    .option('--wait-seconds <n>', 'how long to wait for the run to apply it', '10')
    .action(async (runId: string, options: Record<string, unknown>) => {
      if (!isRunId(runId)) throw new C2yError('RUN_ID_INVALID', `"${runId}" is not a run id`, { hint: 'run ids look like 20261130-061324-ab12cd; c2y status lists them' });
      const sets = (options['set'] as string[] | undefined) ?? [];
      // target.* reaches the run's target (hosts, database, TLS…); every other key is a change to the run, refused
      // unless tunable.
      const isTuning = (set: string): boolean => !/^\s*target\.(?!rowsPerSecond\s*=|bytesPerSecond\s*=)/.test(set);
      const settings = parseTuning(sets.filter(isTuning));
      const waitMs = Number(options['waitSeconds']) * 1000;
      if (!(waitMs > 0)) throw new C2yError('CONFIG_INVALID', `--wait-seconds must be a number above 0, got "${String(options['waitSeconds'])}"`, { hint: 'e.g. --wait-seconds 10' });
      const { config } = await configWithPasswords({ keyspace: '*', table: '*', ...options, set: sets.filter((set) => !isTuning(set)) });
      const endpoint = firstTargetEndpoint(config.target, 'set target.hosts to the run\'s target');
      const target = await openTarget(endpoint, config.target, 'c2y tune');
      try {
        const run = await new CheckpointStore(config.target.checkpointSchema).findRun(target, runId).catch(() => undefined);
        if (!run) throw new C2yError('RUN_NOT_FOUND', `no run ${runId} in ${config.target.database}.${config.target.checkpointSchema}.runs on ${endpoint.key}`, { hint: 'c2y status lists the runs of this target' });
        await refuseTableOfKeyspaceRun(target, config.target.checkpointSchema, runId);
        if (run.status !== 'running') throw new C2yError('RUN_NOT_RUNNING', `run ${runId} is ${run.status}; tune changes a run while it goes on`, { hint: 'set the limits in the config of the next run (a resumed run starts with what was tuned before)' });
        const store = new RunSettingsStore(config.target.checkpointSchema);
        await store.ensureTable(target);
        const changedAt = await store.write(target, runId, settings);
        const set = Object.entries(settings).map(([key, value]) => `${key}=${value ?? 'off'}`).join(', ');
        for (const deadline = Date.now() + waitMs; Date.now() < deadline; await sleep(250)) {
          if ((await store.read(target, runId))?.appliedAt === changedAt) {
            process.stdout.write(`run ${runId}: ${set}, applied by its driver\n`);
            return;
          }
        }
        throw new C2yError('TUNE_NOT_APPLIED', `run ${runId}: ${set} is stored, but no driver applied it within ${waitMs / 1000} s`, {
          hint: 'its driver is not running (a resumed run starts with it); c2y status shows whether it is',
        });
      } finally {
        await target.end();
      }
    });
  return command;
}
