import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { agentError } from './cdc-error.js';
import { formatPosition, parseAgentLine, type AgentLine, type LogPosition } from './agent-events.js';

/** What Cassandra's classes need opened on JDK 17 to read a commit log outside the server. */
const JDK17_OPENS = [
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED', '--add-exports', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-exports', 'java.base/sun.nio.ch=ALL-UNNAMED', '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED', '--add-opens', 'java.base/java.nio=ALL-UNNAMED', '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED', '--add-opens', 'java.base/java.io=ALL-UNNAMED', '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
];

/** Cassandra logs through logback: warnings and up to stderr, so stdout carries only the agent's lines. */
const LOGBACK = `<configuration scan="false"><appender name="E" class="ch.qos.logback.core.ConsoleAppender"><target>System.err</target>
<encoder><pattern>%-5level %logger{0} - %msg%n</pattern></encoder></appender><root level="WARN"><appender-ref ref="E"/></root></configuration>`;

export interface AgentRun {
  readonly classes: string;
  readonly libDir: string;
  readonly yaml: string;
  /** The tables' CQL (CREATE TYPE / CREATE TABLE … WITH ID), as the cluster describes them. */
  readonly schemaFile: string;
  readonly tables: readonly string[];
  readonly from?: LogPosition | undefined;
  readonly follow: boolean;
  readonly pollMs?: number;
  readonly endOnly?: boolean;
  /** Where the agent's logback file goes (a folder of this run's). */
  readonly workDir: string;
  readonly signal?: AbortSignal;
  /** Told how to tell the agent that the segments before one are applied (it deletes those Cassandra is done with). */
  readonly onStarted?: (agent: AgentControl) => void;
}

export interface AgentControl {
  release(segment: number): void;
}

/**
 * Runs the agent and yields its lines, checked, in log order. Ends when the agent ends (without `follow`, once it has
 * caught up) or the signal aborts; a failed agent ends the stream with its typed error, after every line it wrote.
 */
export async function* agentLines(run: AgentRun): AsyncGenerator<AgentLine> {
  const logback = join(run.workDir, 'cdc-agent-logback.xml');
  writeFileSync(logback, LOGBACK);
  const args = [
    ...JDK17_OPENS, `-Dlogback.configurationFile=file://${logback}`, '-Xmx512m', '-cp', `${run.classes}:${run.libDir}/*`, 'C2yCdcAgent',
    '--yaml', run.yaml, '--schema', run.schemaFile, '--tables', run.tables.join(','),
    ...(run.from ? ['--from', formatPosition(run.from)] : []), ...(run.follow ? ['--follow'] : []), ...(run.endOnly ? ['--end'] : []), ...(run.pollMs ? ['--poll-ms', String(run.pollMs)] : []),
  ];
  // stdin stays open and unwritten: the agent exits when it closes, so it never outlives this process.
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  run.onStarted?.({
    // The agent reads its stdin line by line; a write to an agent that has exited is dropped.
    release: (segment) => {
      if (child.exitCode === null && child.stdin.writable) child.stdin.write(`release ${segment}\n`);
    },
  });
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const spawnFailed = new Promise<Error>((resolve) => child.on('error', resolve));
  const stop = (): void => {
    child.kill('SIGTERM');
  };
  if (run.signal?.aborted === true) stop();
  else run.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.trim() !== '') yield parseAgentLine(line);
    }
    const code = await Promise.race([exited, spawnFailed]);
    if (code instanceof Error) throw agentError('AGENT', `java could not be started: ${code.message}`, '');
    if (code !== 0 && !run.signal?.aborted) throw failureOf(stderr, code);
  } finally {
    run.signal?.removeEventListener('abort', stop);
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/** The agent's own error line if it printed one (`{"type":"error","code",…}`), else its stderr's tail. */
function failureOf(stderr: string, code: number | null): Error {
  const line = stderr.split('\n').reverse().find((l) => l.startsWith('{"type":"error"'));
  if (line !== undefined) {
    try {
      const error = JSON.parse(line) as { code?: unknown; message?: unknown };
      return agentError(String(error.code), String(error.message), '');
    } catch {
      // A cut error line: its text below is the best there is.
    }
  }
  return agentError('AGENT', `the CDC agent exited with code ${String(code)}`, stderr.trim().split('\n').slice(-3).join(' | '));
}
