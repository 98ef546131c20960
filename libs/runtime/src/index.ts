export { CommonEnv, ConfigError, DatabaseEnv, PublicUrlEnv, loadConfig, urlVariable } from './lib/config';
export { startService } from './lib/start-service';
export { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from './lib/service-infrastructure';
