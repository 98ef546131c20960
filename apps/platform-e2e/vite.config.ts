import { mergeConfig } from 'vitest/config';
import { projectConfig } from '../../vitest.shared';

// Five processes, a broker and an SMTP server per file: the platform needs time to start and settle.
export default mergeConfig(projectConfig('platform-e2e'), { test: { testTimeout: 120_000, hookTimeout: 120_000 } });
