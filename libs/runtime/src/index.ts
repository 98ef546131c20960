export { CommonEnv, ConfigError, DatabaseEnv, PublicUrlEnv, loadConfig, urlVariable } from './lib/config';
export { startService } from './lib/start-service';
