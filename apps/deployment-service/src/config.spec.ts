import { ConfigError, loadConfig } from '@mediamagic/runtime';
import { DeploymentConfig } from './config';

describe('DeploymentConfig', () => {
  it('defaults PROVISIONING_DELAY_MS to 5000 and takes 0', () => {
    expect(loadConfig(DeploymentConfig, {}).PROVISIONING_DELAY_MS).toBe(5_000);
    expect(loadConfig(DeploymentConfig, { PROVISIONING_DELAY_MS: '' }).PROVISIONING_DELAY_MS).toBe(5_000);
    expect(loadConfig(DeploymentConfig, { PROVISIONING_DELAY_MS: '0' }).PROVISIONING_DELAY_MS).toBe(0);
  });

  it.each(['-1', '1.5', 'soon', '99999999999'])('refuses PROVISIONING_DELAY_MS=%s, naming the variable', (value) => {
    expect(() => loadConfig(DeploymentConfig, { PROVISIONING_DELAY_MS: value })).toThrow(ConfigError);
    expect(() => loadConfig(DeploymentConfig, { PROVISIONING_DELAY_MS: value })).toThrow(/PROVISIONING_DELAY_MS: must be/);
  });
});
