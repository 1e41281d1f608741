// The API's HTTP plumbing lives in http/ (ingest shares it); re-exported so routes keep one import.
export { readBody, readJson, sendError, sendJson, sendText } from '../http/util.js';
