// Micro-benchmarks of the bench's own hot paths: the generator and sink must outrun anything they measure.

import { LineFactory } from '../lib/loadgen.js';
import { FrameCounter } from '../lib/sinks.js';
import type { MicroBench } from './harness.js';

const factory = new LineFactory({ appName: 't.00000000-0000-4000-8000-000000000000' });
const CHUNK = 320; // lines per 64 KiB TCP write, as sendTcp does
const chunk = factory.build(0, CHUNK);
let counted = 0;
const counter = new FrameCounter((n) => (counted += n), null);

export const benchmarks: MicroBench[] = [
  {
    name: 'bench/loadgen: LineFactory.build (320 lines)',
    opsPerCall: CHUNK,
    bytesPerCall: chunk.length,
    fn: () => factory.build(0, CHUNK),
  },
  {
    name: 'bench/sinks: FrameCounter.push, count only (320 frames)',
    opsPerCall: CHUNK,
    bytesPerCall: chunk.length,
    fn: () => {
      counter.push(chunk);
      return counted;
    },
  },
];
