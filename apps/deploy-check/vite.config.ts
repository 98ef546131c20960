import { projectConfig } from '../../vitest.shared';

// Checks the deployment files (Dockerfiles, docker-compose.yml, k8s/, the NATS authorization) without
// Docker or a cluster: schemas, cross-references, and the NATS permissions on a real nats-server.
export default projectConfig('deploy-check');
