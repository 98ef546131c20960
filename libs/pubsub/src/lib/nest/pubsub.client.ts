import { HttpException, Inject, Injectable } from '@nestjs/common';
import { RemoteError } from '../errors';
import { PubSub, type RequestOptions } from '../pubsub';
import type { RequestDefinition, RequestOf, ResponseOf } from '../request-definition';

/**
 * Request/reply for HTTP-facing services: a remote failure becomes an HttpException with the remote
 * status (404 stays 404, no reply in time is 504, no responder 503), so it needs no catch to reach the client.
 */
@Injectable()
export class PubSubClient {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {}

  send<T = unknown>(subject: string, payload: unknown, options?: RequestOptions): Promise<T> {
    return asHttp(this.pubsub.request<T>(subject, payload, options));
  }

  /** A typed request (see `defineRequest`). */
  call<D extends RequestDefinition>(definition: D, payload: RequestOf<D>, options?: RequestOptions): Promise<ResponseOf<D>> {
    return asHttp(this.pubsub.call(definition, payload, options));
  }
}

async function asHttp<T>(reply: Promise<T>): Promise<T> {
  try {
    return await reply;
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    throw new HttpException({ statusCode: error.statusCode, message: error.message }, error.statusCode, { cause: error });
  }
}
