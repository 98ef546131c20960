import { HttpException, Inject, Injectable } from '@nestjs/common';
import { RemoteError } from '../errors';
import { PubSub, type RequestOptions } from '../pubsub';

/**
 * Request/reply for HTTP-facing services: a remote failure becomes an HttpException with the remote
 * status (404 stays 404, no reply in time is 504, no responder 503), so it needs no catch to reach the client.
 */
@Injectable()
export class PubSubClient {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  async send<T = unknown>(subject: string, payload: unknown, options?: RequestOptions): Promise<T> {
    try {
      return await this.pubsub.request<T>(subject, payload, options);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      throw new HttpException({ statusCode: error.statusCode, message: error.message }, error.statusCode, { cause: error });
    }
  }
}
