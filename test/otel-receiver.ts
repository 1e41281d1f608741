// Test receivers for telemetry drains: OTLP/HTTP and OTLP/gRPC servers that decode every request with
// the official opentelemetry-proto definitions (loaded here with protobuf.js, independently of src/).
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { repoRoot } from './helpers/sluice.js';
import { closeServer, listenOn } from './drains-support.js';

const root = new protobuf.Root();
root.resolvePath = (_o, t) => path.join(repoRoot, 'proto', t);
root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto');
const Request = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');

export interface OtlpRecord {
  serviceName: string | undefined;
  instanceId: string | undefined;
  body: string | undefined;
  severityNumber: number;
  severityText: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
}

export interface Export {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The raw body as received (still compressed when it was). */
  raw: Buffer;
  records: OtlpRecord[];
}

type KV = { key: string; value?: Record<string, unknown> };
const attrs = (list: KV[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value ? Object.values(kv.value)[0] : undefined]));

/** Every LogRecord of an ExportLogsServiceRequest, in order. */
export function decodeLogs(body: Buffer): OtlpRecord[] {
  const req = Request.toObject(Request.decode(body), { longs: String, enums: Number, defaults: true }) as {
    resourceLogs: Array<{ resource?: { attributes?: KV[] }; scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }>;
  };
  const out: OtlpRecord[] = [];
  for (const rl of req.resourceLogs) {
    const res = attrs(rl.resource?.attributes);
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        out.push({
          serviceName: res['service.name'] as string | undefined,
          instanceId: res['service.instance.id'] as string | undefined,
          body: (r.body as { stringValue?: string } | undefined)?.stringValue,
          severityNumber: r.severityNumber as number,
          severityText: r.severityText as string,
          timeUnixNano: r.timeUnixNano as string,
          attributes: attrs(r.attributes as KV[]),
        });
      }
    }
  }
  return out;
}

export interface OtlpHttpReceiver {
  port: number;
  exports: Export[];
  /** Answer status for the next requests (default 200). */
  status: number;
  records(): OtlpRecord[];
  close(): Promise<void>;
}

export async function otlpHttpReceiver(port = 0): Promise<OtlpHttpReceiver> {
  const exports: Export[] = [];
  const rx: OtlpHttpReceiver = {
    port: 0,
    exports,
    status: 200,
    records: () => exports.filter((e) => e.path === '/v1/logs').flatMap((e) => e.records),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (rx.status === 200) {
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        exports.push({
          path: req.url ?? '',
          headers: req.headers,
          contentType: req.headers['content-type'],
          contentEncoding: req.headers['content-encoding'],
          raw,
          records: req.url === '/v1/logs' ? decodeLogs(body) : [],
        });
      }
      res.writeHead(rx.status, { 'Content-Type': 'application/x-protobuf' });
      res.end();
    });
  });
  rx.port = await listenOn(server, port);
  rx.close = () => closeServer(server);
  return rx;
}

export interface OtlpGrpcReceiver {
  port: number;
  calls: Array<{ method: string; metadata: Record<string, unknown>; body: Buffer }>;
  records(): OtlpRecord[];
  close(): Promise<void>;
}

const identity = (b: Buffer): Buffer => b;

/** A gRPC server with the Export methods of the Logs, Trace and Metrics services (bodies kept raw). */
export async function otlpGrpcReceiver(port = 0): Promise<OtlpGrpcReceiver> {
  const server = new grpc.Server();
  const calls: OtlpGrpcReceiver['calls'] = [];
  const service: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, full] of [
    ['logs', 'opentelemetry.proto.collector.logs.v1.LogsService'],
    ['traces', 'opentelemetry.proto.collector.trace.v1.TraceService'],
    ['metrics', 'opentelemetry.proto.collector.metrics.v1.MetricsService'],
  ]) {
    service[name] = {
      path: `/${full}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    handlers[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      calls.push({ method: `/${full}/Export`, metadata: call.metadata.getMap(), body: call.request });
      cb(null, Buffer.alloc(0));
    };
  }
  server.addService(service, handlers);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    calls,
    records: () => calls.filter((c) => c.method.includes('LogsService')).flatMap((c) => decodeLogs(c.body)),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
