import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthenticateUser } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { UnauthorizedError } from '@mediamagic/errors';
import { PubSub, type Message, type ResponseOf, type ParsedRequestOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import { PasswordQueue } from '../users/password-queue';
import { toUserView, USER_COLUMNS, type UserRow } from '../users/user-view';

type Credentials = ParsedRequestOf<typeof AuthenticateUser>;

@Injectable()
export class AuthenticateUserHandler {
  private readonly logger = new Logger(AuthenticateUserHandler.name);

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(PasswordQueue) private readonly passwords: PasswordQueue,
  ) {}

  @OnRequest(AuthenticateUser)
  async authenticate({ email, password }: Credentials, message: Message): Promise<ResponseOf<typeof AuthenticateUser>> {
    const [user] = await this.db.query<UserRow>(`select ${USER_COLUMNS} from users where email = $1`, [email]);
    // An unknown email costs one hash too: the answer time must not tell whether the email is registered.
    const matches = user
      ? await this.passwords.verify(password, user.password_hash, message.deadline)
      : await this.passwords.hash(password, message.deadline).then(() => false);
    if (!user || !matches) throw new UnauthorizedError('invalid email or password');
    // Only a counter: a broker hiccup must not turn a correct login into an error.
    await this.pubsub.publishEvent({ name: 'user.logged-in' }).catch((error: unknown) => {
      this.logger.warn(`cannot publish user.logged-in: ${(error as Error).message}`);
    });
    return toUserView(user);
  }
}
