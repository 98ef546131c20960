import { mergeConfig } from 'vitest/config';
import { projectConfig } from '../../vitest.shared';

// One scenario at a time: each runs five processes, a broker, an SMTP server and a PostgreSQL on two cores,
// and a fault must not be blurred by another scenario's load. Timeouts are per scenario, so generous.
export default mergeConfig(projectConfig('platform-faults'), {
  test: {
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    globalSetup: ['src/support/summary-file.ts'],
  },
});
