import { Inject, Injectable } from '@nestjs/common';
import { AnalyticsSummary } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { type ResponseOf } from '@mediamagic/pubsub';
import { OnRequest } from '@mediamagic/pubsub/nest';

@Injectable()
export class GetSummaryHandler {
  constructor(@Inject(Database) private readonly db: Database) {}

  @OnRequest(AnalyticsSummary)
  async summary(): Promise<ResponseOf<typeof AnalyticsSummary>> {
    // float8, not int: a bigint counter past 2^31 would overflow int, and float8 is exact up to 2^53.
    const rows = await this.db.query<{ name: string; count: number; last_at: Date }>(
      'select name, count::float8 as count, last_at from event_counts order by name',
    );
    const lastEventAt = rows.reduce<Date | null>((latest, row) => (latest && latest > row.last_at ? latest : row.last_at), null);
    return {
      counts: Object.fromEntries(rows.map((row) => [row.name, row.count])),
      total: rows.reduce((sum, row) => sum + row.count, 0),
      lastEventAt: lastEventAt?.toISOString() ?? null,
    };
  }
}
