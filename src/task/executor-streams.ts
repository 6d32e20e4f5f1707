/**
 * The streams one executor runs at once, as the planner counts them (concurrentTasksPerExecutor): its share of the
 * run's streams over the executors, at most its cores. What an executor opens or reserves ahead (target connections,
 * page buffers) is sized by it, so a run of fewer splits than executors × cores holds no more than it plans.
 */
export function streamsPerExecutor(cores: number, executors: number, runStreams: number): number {
  const sharing = Math.max(1, Math.min(executors, runStreams));
  return Math.max(0, Math.min(cores, Math.ceil(runStreams / sharing)));
}
