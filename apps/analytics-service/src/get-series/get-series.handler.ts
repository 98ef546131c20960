import { Inject, Injectable } from '@nestjs/common';
import { AnalyticsSeries } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { InvalidError } from '@mediamagic/errors';
import { type ParsedRequestOf, type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';

const MINUTE_MS = 60_000;
/** Without `from`, a series shows the last hour. */
const DEFAULT_MINUTES = 60;

type Series = ResponseOf<typeof AnalyticsSeries>;

/** One event's counts per minute, every minute of the span (zero where nothing happened), for a chart. */
@Injectable()
export class GetSeriesHandler {
  constructor(@Inject(Database) private readonly db: Database) {}

  @OnRequest(AnalyticsSeries)
  async series({ name, interval, label, from, to }: ParsedRequestOf<typeof AnalyticsSeries>): Promise<Series> {
    const end = floorMinute(to ? new Date(to) : new Date());
    const start = from ? floorMinute(new Date(from)) : new Date(end.getTime() - (DEFAULT_MINUTES - 1) * MINUTE_MS);
    await this.assertKnown(name, label);
    const points = new Map<number, Series['points'][number]>();
    for (let minute = start.getTime(); minute <= end.getTime(); minute += MINUTE_MS) {
      points.set(minute, { start: new Date(minute).toISOString(), count: 0, ...(label ? { values: {} } : {}) });
    }
    const span = [name, start, new Date(end.getTime() + MINUTE_MS)];
    // float8, not int: a bigint counter past 2^31 would overflow int, and float8 is exact up to 2^53.
    const counts = await this.db.query<{ minute: Date; count: number }>(
      'select minute, count::float8 as count from minute_counts where name = $1 and minute >= $2 and minute < $3',
      span,
    );
    for (const row of counts) points.get(row.minute.getTime())!.count = row.count;
    if (label) {
      const values = await this.db.query<{ minute: Date; value: string; count: number }>(
        'select minute, value, count::float8 as count from minute_label_counts where name = $1 and minute >= $2 and minute < $3 and label = $4',
        [...span, label],
      );
      for (const row of values) points.get(row.minute.getTime())!.values![row.value] = row.count;
    }
    return { name, interval, ...(label ? { label } : {}), points: [...points.values()] };
  }

  /** A name or label never counted is most likely a typo: say so rather than draw a flat line. */
  private async assertKnown(name: string, label: string | undefined): Promise<void> {
    const [known] = await this.db.query<{ counted: boolean; labelled: boolean }>(
      `select exists (select 1 from event_counts where name = $1) as counted,
              exists (select 1 from label_counts where name = $1 and label = $2) as labelled`,
      [name, label ?? ''],
    );
    if (!known!.counted) throw new InvalidError(`no event named ${name} was counted`);
    if (label && !known!.labelled) throw new InvalidError(`no ${name} event was counted with the label ${label}`);
  }
}

function floorMinute(time: Date): Date {
  return new Date(Math.floor(time.getTime() / MINUTE_MS) * MINUTE_MS);
}
