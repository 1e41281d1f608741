// Run by security-egress-dns.test.ts inside its network namespace: the starvation scenario against the system resolver.
import { starvationScenario } from './security-egress-dns-scenario.js';

await starvationScenario({ port: 53, explicit: false });
process.stdout.write('starvation scenario passed\n');
process.exit(0);
