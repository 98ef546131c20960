import { Inject, Injectable } from '@nestjs/common';
import { GetUser } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { NotFoundError } from '@mediamagic/errors';
import { type ResponseOf, type ParsedRequestOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';
import { toUserView, USER_COLUMNS, type UserRow } from '../users/user-view';

@Injectable()
export class GetUserHandler {
  constructor(@Inject(Database) private readonly db: Database) {}

  @OnRequest(GetUser)
  async get({ id }: ParsedRequestOf<typeof GetUser>): Promise<ResponseOf<typeof GetUser>> {
    const [user] = await this.db.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1`, [id]);
    if (!user) throw new NotFoundError('user not found');
    return toUserView(user);
  }
}
