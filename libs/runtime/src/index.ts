export { BackendServiceEnv, CommonEnv, ConfigError, DatabaseEnv, HealthEnv, LogEnv, PublicUrlEnv, loadConfig, urlVariable } from './lib/config';
export { createLogger, debugLogging, traceFields } from './lib/logging';
export { metricsRegistry, observed } from './lib/metrics';
export { startService } from './lib/start-service';
export { faultPoint } from './lib/fault-point';
export { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from './lib/service-infrastructure';
