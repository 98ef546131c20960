import { evolveDeployment, foldDeployment, type DeploymentChange } from './deployment.fold';

const ID = '6f1c1a8e-0d8e-4a49-9a53-0f6f2f0c1a01';
const OWNER = '0a3c5a5e-6a0d-4d8e-8c9b-1d2e3f4a5b6c';
const created: DeploymentChange = {
  type: 'deployment.created',
  version: 1,
  time: '2030-01-01T10:00:00.000Z',
  deploymentId: ID,
  ownerId: OWNER,
  name: 'web',
  model: 'llama',
  replicas: 2,
};
const started: DeploymentChange = { type: 'deployment.provisioning-started', version: 2, time: '2030-01-01T10:00:01.000Z' };
const failed: DeploymentChange = { type: 'deployment.failed', version: 3, time: '2030-01-01T10:00:02.000Z', reason: 'no GPU' };
const deleted: DeploymentChange = { type: 'deployment.deleted', version: 4, time: '2030-01-01T10:00:03.000Z' };

describe('the deployment fold (deployment-service and the gateway both use it)', () => {
  it('makes each change a status, with the version and time of the change', () => {
    const states = [created, started, failed, deleted].map((_, i, all) => foldDeployment(all.slice(0, i + 1)));
    expect(states.map(({ status, version, updatedAt }) => [status, version, updatedAt])).toEqual([
      ['pending', 1, created.time],
      ['provisioning', 2, started.time],
      ['failed', 3, failed.time],
      ['deleted', 4, deleted.time],
    ]);
    expect(states[3]).toEqual({
      id: ID,
      name: 'web',
      model: 'llama',
      replicas: 2,
      status: 'deleted',
      ownerId: OWNER,
      version: 4,
      createdAt: created.time,
      updatedAt: deleted.time,
      reason: 'no GPU',
    });
  });

  it('takes a change onto the state right before it, and nothing else', () => {
    const pending = evolveDeployment(undefined, created);
    expect(evolveDeployment(pending, started).status).toBe('provisioning');
    expect(() => evolveDeployment(pending, failed)).toThrow('version 3 cannot follow 1');
    expect(() => evolveDeployment(pending, { ...created, version: 2 })).toThrow('created twice');
    expect(() => evolveDeployment(undefined, started)).toThrow('must start with deployment.created');
    expect(() => foldDeployment([])).toThrow('must start with deployment.created');
  });
});
