import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { Headers } from '../message';

export function toNatsHeaders(headers: Headers): MsgHdrs {
  const result = natsHeaders();
  for (const [key, value] of Object.entries(headers)) result.set(key, value);
  return result;
}

export function fromNatsHeaders(headers: MsgHdrs | undefined): Headers {
  const result: Headers = {};
  if (!headers) return result;
  for (const key of headers.keys()) result[key.toLowerCase()] = headers.get(key);
  return result;
}
