// Sluice partner kit: what an add-on partner needs to receive an app's logs from a Sluice drain.
//
//   import { drainHandler, checkBasicAuth } from 'sluice/partner-kit';
//   http.createServer(drainHandler({
//     authenticate: ({ drainToken, password }) => findInstallation(drainToken, password),
//     onBatch: ({ installation, records }) => save(installation, records),
//   }));
//
// See docs/addon-partners.md for the whole story, from manifest to receiving logs.
export { checkBasicAuth, parseBasicAuth, safeEqual, type BasicCredentials } from './auth.js';
export { FrameIdSet } from './dedupe.js';
export {
  createDrainReceiver,
  drainHandler,
  type DrainBatch,
  type DrainCredentials,
  type DrainReceiverOptions,
  type DrainRequest,
  type DrainResponse,
} from './receiver.js';
export { formatRecord, parseDrainBody, type DrainLogRecord, type InvalidFrame, type ParsedDrainBody } from './records.js';
