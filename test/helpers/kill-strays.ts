import { afterAll } from 'vitest';
import { killStrays } from './run-cli.js';

// After each integration test file: a c2y left running by a test that timed out must not work on under the next files.
afterAll(() => killStrays());
