import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** Every message a JetStream stream holds, subject, headers and body as text: what any reader of the stream sees. */
export async function storedMessages(natsUrl: string, stream: string): Promise<string[]> {
  const connection = await connect({ servers: natsUrl });
  try {
    const streams = (await jetstreamManager(connection)).streams;
    const { state } = await streams.info(stream);
    const messages: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await streams.getMessage(stream, { seq });
      if (message) messages.push(`${message.subject} ${JSON.stringify([...(message.header ?? [])])} ${message.string()}`);
    }
    return messages;
  } finally {
    await connection.close();
  }
}
