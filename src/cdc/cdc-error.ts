import { C2yError } from '../errors/index.js';

/** How the agent's own failures (its `{"type":"error"}` line on stderr) are named to the user. */
export type AgentErrorCode = 'CDC_RAW_UNREADABLE' | 'CDC_SEGMENT_UNREADABLE' | 'CDC_AGENT_FAILED';

/** The agent's codes, as it prints them; anything else it says is a failure of the agent itself. */
export function agentError(code: string, message: string, stderrTail: string): C2yError {
  switch (code) {
    case 'CDC_RAW': return new C2yError('CDC_RAW_UNREADABLE', message, { hint: 'check cdc_raw_directory in the node\'s cassandra.yaml and that this user can read it (c2y cdc agent runs on the Cassandra node, beside its files)' });
    case 'CDC_OFF': return new C2yError('CDC_NOT_ENABLED', message, { hint: 'set cdc_enabled: true in the node\'s cassandra.yaml and restart the node (every node whose changes you need)' });
    case 'SCHEMA_CHANGED': return new C2yError('SOURCE_SCHEMA_CHANGED', message, { hint: 'start the agent again from the last position it printed (--from): it loads the table\'s schema as it is now' });
    case 'CONFIG': return new C2yError('CONFIG_INVALID', message, { hint: 'give the node\'s own cassandra.yaml (--yaml, or --node-dir): the agent reads its cdc_raw_directory and commit-log settings' });
    case 'SEGMENT': return new C2yError('CDC_SEGMENT_UNREADABLE', message, { hint: 'a commit-log segment the agent cannot read: is the agent built on this node\'s own Cassandra jars (--lib)? Its changes are not skipped; fix the cause and start the agent again from its last position' });
    default: return new C2yError('CDC_AGENT_FAILED', `${message}${stderrTail ? `: ${stderrTail}` : ''}`, { hint: 'the change agent stopped; nothing was skipped: start it again from its last position (--from)' });
  }
}
