import { projectConfig } from '../../vitest.shared';

export default projectConfig('user-service');
