/**
 * A local OTLP/HTTP trace receiver for part 9: answers `POST /v1/traces` as a collector does and counts the spans
 * per service.name. Reads OTLP protobuf (the exporters' default) with a small wire-format walker, and OTLP JSON.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface OtlpReceiver {
  /** What services send to: the value of OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans(): number;
  byService(): Record<string, number>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const counts = new Map<string, number>();
  const add = (service: string, spans: number) => counts.set(service, (counts.get(service) ?? 0) + spans);
  const server = createServer((req, res) => {
    void body(req).then(
      (data) => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
        const json = req.headers['content-type']?.includes('json') ?? false;
        try {
          for (const { service, spans } of json ? fromJson(data) : fromProtobuf(data)) add(service, spans);
        } catch {
          return void res.writeHead(400).end();
        }
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    byService: () => Object.fromEntries(counts),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const data = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(data) : data;
}

interface Batch {
  service: string;
  spans: number;
}

function fromJson(data: Buffer): Batch[] {
  const request = JSON.parse(data.toString('utf8')) as {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> };
      scopeSpans?: Array<{ spans?: unknown[] }>;
    }>;
  };
  return (request.resourceSpans ?? []).map((resourceSpans) => ({
    service: resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown',
    spans: (resourceSpans.scopeSpans ?? []).reduce((sum, scope) => sum + (scope.spans?.length ?? 0), 0),
  }));
}

/**
 * ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }; ResourceSpans { Resource resource = 1;
 * repeated ScopeSpans scope_spans = 2 }; Resource { repeated KeyValue attributes = 1 }; KeyValue { string key = 1;
 * AnyValue value = 2 }; AnyValue { string string_value = 1 }; ScopeSpans { repeated Span spans = 2 }.
 */
function fromProtobuf(data: Buffer): Batch[] {
  const batches: Batch[] = [];
  for (const [field, resourceSpans] of fields(data)) {
    if (field !== 1) continue;
    let service = 'unknown';
    let spans = 0;
    for (const [rsField, value] of fields(resourceSpans)) {
      if (rsField === 1) {
        for (const [attrField, keyValue] of fields(value)) {
          if (attrField !== 1) continue;
          const parts = new Map(fields(keyValue));
          if (parts.get(1)?.toString('utf8') !== 'service.name') continue;
          const anyValue = parts.get(2);
          service = anyValue ? (new Map(fields(anyValue)).get(1)?.toString('utf8') ?? service) : service;
        }
      } else if (rsField === 2) {
        for (const [scopeField] of fields(value)) if (scopeField === 2) spans++;
      }
    }
    batches.push({ service, spans });
  }
  return batches;
}

/** The length-delimited fields of a protobuf message, as [field number, bytes]; other wire types are skipped. */
function fields(buffer: Buffer): Array<[number, Buffer]> {
  const result: Array<[number, Buffer]> = [];
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated protobuf');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (offset < buffer.length) {
    const tag = varint();
    const wireType = tag & 7;
    const field = Math.floor(tag / 8);
    if (wireType === 0) varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = varint();
      result.push([field, buffer.subarray(offset, offset + length)]);
      offset += length;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
  return result;
}
