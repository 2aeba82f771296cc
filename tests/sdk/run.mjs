#!/usr/bin/env node
// SDK end-to-end test: node tests/sdk/run.mjs --gatewayd PATH [--client chat] [--upstream gemini] …
// (`--help` lists the options; docs/testing.md says what it covers.) Exits non-zero on any failure.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const pkg of ['openai', '@anthropic-ai/sdk']) {
    if (!existsSync(path.join(here, 'node_modules', pkg, 'package.json'))) {
        console.log(`FAIL sdk_e2e: ${path.join(here, 'node_modules', pkg)} is missing: run scripts/test.sh (it runs \`npm ci\` in tests/sdk), or \`npm ci --no-audit --no-fund\` in tests/sdk`);
        process.exit(1);
    }
}

const { main } = await import('./lib/main.mjs');
process.exitCode = await main(process.argv.slice(2));
