import { projectConfig } from '../../vitest.shared';

export default projectConfig('analytics-service');
