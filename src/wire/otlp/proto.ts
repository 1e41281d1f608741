// The official OTLP protobuf definitions (proto/, from opentelemetry-proto v1.11.0) loaded once with protobuf.js.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type protobufType from 'protobufjs';

type Protobuf = typeof protobufType;

/**
 * proto/ sits at the package root; this module runs from dist/src/wire/otlp/. The files are
 * parsed by protobuf.js at first use (a few ms), so no generated code has to be kept in sync.
 */
const PROTO_DIR = fileURLToPath(new URL('../../../../proto/', import.meta.url));

export const LOGS_SERVICE = 'opentelemetry.proto.collector.logs.v1.LogsService';

let root: protobufType.Root | undefined;

/** Loaded at first use, not at start: a server that never sees OTLP never pays for protobuf.js. */
function load(): protobufType.Root {
  if (root) return root;
  const protobuf = createRequire(import.meta.url)('protobufjs') as Protobuf;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => PROTO_DIR + target;
  r.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto');
  // google.rpc.Status is what OTLP error bodies carry; its two fields we fill are declared here
  // (the details field, an Any list, is never sent).
  r.add(
    new protobuf.Type('Status')
      .add(new protobuf.Field('code', 1, 'int32'))
      .add(new protobuf.Field('message', 2, 'string')),
  );
  r.resolveAll();
  return (root = r);
}

export const exportLogsRequest = (): protobufType.Type => load().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const exportLogsResponse = (): protobufType.Type => load().lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const rpcStatus = (): protobufType.Type => load().lookupType('Status');

/** toObject options that give JSON-safe values: 64-bit integers as decimal strings, bytes as base64, enums as numbers. */
export const PLAIN: protobufType.IConversionOptions = { longs: String, bytes: String, enums: Number, defaults: false, arrays: true };
