export { BackendServiceEnv, CommonEnv, ConfigError, DatabaseEnv, HealthEnv, PublicUrlEnv, loadConfig, urlVariable } from './lib/config';
export { startService } from './lib/start-service';
export { faultPoint } from './lib/fault-point';
export { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from './lib/service-infrastructure';
