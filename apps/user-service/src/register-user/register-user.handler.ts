import { Inject, Injectable } from '@nestjs/common';
import { RegisterUser, UserRegistered } from '@mediamagic/contracts';
import { Database, isUniqueViolation, once } from '@mediamagic/database';
import { ConflictError } from '@mediamagic/errors';
import { Outbox } from '@mediamagic/messaging';
import { faultPoint } from '@mediamagic/runtime';
import { contextOf, type Message, type RequestOf, type ResponseOf, type ParsedRequestOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import { PasswordQueue } from '../users/password-queue';
import { toUserView, USER_COLUMNS, type UserRow } from '../users/user-view';

type Registration = ParsedRequestOf<typeof RegisterUser>;

@Injectable()
export class RegisterUserHandler {
  constructor(
    @Inject(PasswordQueue) private readonly passwords: PasswordQueue,
    @Inject(Database) private readonly db: Database,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  @OnRequest(RegisterUser)
  async register({ email, name, password }: Registration, message: Message): Promise<ResponseOf<typeof RegisterUser>> {
    // Hashed before the transaction: ~100 ms of key derivation should not hold a database connection.
    const passwordHash = await this.passwords.hash(password, message.deadline);
    // The idempotency fingerprint leaves the password out: a fast sha256 of it, stored, would undo scrypt.
    const fingerprint: Omit<RequestOf<typeof RegisterUser>, 'password'> = { email, name };
    // A repeat of the same Idempotency-Key answers the first result: the event was written with it, once.
    const { result: user } = await once(this.db, 'users.register', message.idempotencyKey, fingerprint, async (tx) => {
      const [row] = await tx
        .query<UserRow>(`insert into users (email, name, password_hash) values ($1, $2, $3) returning ${USER_COLUMNS}`, [email, name, passwordHash])
        .catch((error: unknown) => {
          throw isUniqueViolation(error, 'users_email_key') ? new ConflictError('email is already registered') : error;
        });
      const user = toUserView(row!);
      // No link in the event: email-service asks for one when it sends the email (IssueVerificationLinkHandler).
      const registered = { userId: user.id, email: user.email, name: user.name, registeredAt: user.createdAt };
      await this.outbox.emit(tx, UserRegistered, registered, { context: contextOf(message) });
      return user;
    });
    faultPoint('users.register');
    return user;
  }
}
