// A child process that logs through the real OpenTelemetry JS SDK to sluice's /v1/logs.
// argv: <url> <log token> <count> <proto|http>; prints "done <n>" when every record is exported.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

const [url, token, countText, kind] = process.argv.slice(2);
const count = Number(countText);
const config = { url: `${url}/v1/logs`, headers: { Authorization: `Bearer ${token}` } };
const exporter = kind === 'http' ? new JsonExporter(config) : new ProtoExporter(config);
// One batch holds every record, so the SDK sends them in one ordered request per flush.
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 'web.1', 'deployment.environment': 'test' }),
  processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 500, maxQueueSize: 4096, scheduledDelayMillis: 60_000 })],
});
const logger = provider.getLogger('otel-child', '1.0.0');
for (let i = 0; i < count; i++) {
  const warn = i % 10 === 0;
  logger.emit({
    body: `record ${i} ✓ héllo 日本語 ${kind}`,
    severityNumber: warn ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: warn ? 'WARN' : 'INFO',
    attributes: { 'record.index': i, 'http.route': '/checkout' },
  });
  // Flush every 500 so batches go one after the other (the SDK may export concurrently otherwise).
  if ((i + 1) % 500 === 0) await provider.forceFlush();
}
await provider.forceFlush();
await provider.shutdown();
process.stdout.write(`done ${count}\n`);
