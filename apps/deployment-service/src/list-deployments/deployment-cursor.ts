import { InvalidError } from '@mediamagic/errors';
import { z } from 'zod';
import type { ListPosition } from '../deployment/deployment-events.table';

/** Opaque to clients: base64url of the last item's creation time and id, where the next page starts. */
export function encodeCursor(position: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const [createdAt, deploymentId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const at = new Date(String(createdAt));
    if (typeof createdAt === 'string' && typeof deploymentId === 'string' && z.uuid().safeParse(deploymentId).success && !Number.isNaN(at.getTime())) {
      return { createdAt: at, deploymentId };
    }
  } catch {
    // Not base64url JSON: the same answer as any other bad cursor.
  }
  throw new InvalidError('invalid cursor');
}
