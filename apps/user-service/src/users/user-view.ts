import type { UserView } from '@mediamagic/contracts';
import type { z } from 'zod';

/** A row of `users` as the queries select it. */
export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  email_verified_at: Date | null;
  created_at: Date;
}

export const USER_COLUMNS = 'id, email, name, password_hash, email_verified_at, created_at';

/** What callers may see of a user: never the password hash. */
export function toUserView(row: UserRow): z.output<typeof UserView> {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}
