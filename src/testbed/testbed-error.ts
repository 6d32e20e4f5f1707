import { CodedError, EXIT, type C2yErrorDetails } from '../errors/index.js';

/** What can go wrong setting up the test bed (`c2y testbed`, the tests, the benches): apart from the product's codes. */
export type TestbedErrorCode =
  | 'JAVA_MISSING'
  | 'MAVEN_MISSING'
  | 'MAVEN_FAILED'
  | 'CACHE_INCOMPLETE'
  | 'PORT_IN_USE'
  | 'NODE_START_TIMEOUT'
  | 'NODE_EXITED'
  | 'NODE_NOT_RUNNING'
  | 'POSTGRES_START_FAILED'
  | 'TESTBED_TLS_FAILED'
  | 'TESTBED_NETNS_FAILED'
  | 'TESTBED_REDIS_FAILED';

/** A test bed that cannot be set up is this machine's set-up to fix (exit 2), never a migration's failure. */
export class TestbedError extends CodedError {
  declare readonly code: TestbedErrorCode;

  constructor(code: TestbedErrorCode, message: string, details: C2yErrorDetails = {}) {
    super(code, EXIT.usage, message, details);
    this.name = 'TestbedError';
  }
}
