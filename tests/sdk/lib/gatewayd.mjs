// Starts the real gatewayd binary on a config of our own (port 0, database in a temp dir) and
// reads the port from its "gatewayd listening on http://HOST:PORT" line, as
// tests/e2e/gatewayd_process.cpp does.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

// Environment variables that override the config file (docs/configuration.md).
const OVERRIDES = [
    'HOST', 'PORT', 'THREADS', 'MAX_BODY_BYTES', 'SHUTDOWN_TIMEOUT', 'SQLITE_PATH', 'LOG_LEVEL',
    'CONNECT_TIMEOUT', 'RELAY_TIMEOUT', 'TLS_VERIFY', 'CA_FILE',
];

export async function start_gatewayd({ binary, dir, channels, tokens, startup_ms = 20000 }) {
    const config = {
        server: { host: '127.0.0.1', port: 0, threads: 2, shutdown_timeout_ms: 3000 },
        sqlite_path: path.join(dir, 'gatewayd.db'),
        log_level: 'info',
        upstream: { connect_timeout_ms: 3000, first_byte_timeout_ms: 20000, idle_timeout_ms: 20000 },
        channels,
        tokens,
    };
    const config_path = path.join(dir, 'gatewayd.json');
    writeFileSync(config_path, JSON.stringify(config, null, 2), { mode: 0o600 });
    const env = { ...process.env };
    for (const k of OVERRIDES) delete env[k];
    const child = spawn(binary, ['--config', config_path], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const g = {
        child,
        output: '',
        exited: null, // {code, signal} once it exits
        base_url: null,
        log_tail(lines = 60) {
            return g.output.split('\n').slice(-lines).join('\n');
        },
        /// SIGTERM, then SIGKILL after `grace_ms`; resolves to {code, signal}.
        stop(grace_ms = 10000) {
            if (g.exited) return Promise.resolve(g.exited);
            return new Promise((resolve) => {
                const timer = setTimeout(() => child.kill('SIGKILL'), grace_ms);
                child.once('exit', () => {
                    clearTimeout(timer);
                    resolve(g.exited);
                });
                child.kill('SIGTERM');
            });
        },
    };
    const append = (d) => {
        g.output += d.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.on('exit', (code, signal) => {
        g.exited = { code, signal };
    });
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`gatewayd did not start listening within ${startup_ms} ms:\n${g.log_tail()}`)), startup_ms);
        const poll = setInterval(() => {
            const m = /gatewayd listening on (http:\/\/[^\s]+)/.exec(g.output);
            if (m) {
                g.base_url = m[1].replace(/\/$/, '');
                clearInterval(poll);
                clearTimeout(timer);
                resolve();
            } else if (g.exited) {
                clearInterval(poll);
                clearTimeout(timer);
                reject(new Error(`gatewayd exited at start-up (${JSON.stringify(g.exited)}):\n${g.log_tail()}`));
            }
        }, 20);
        child.once('error', (e) => {
            clearInterval(poll);
            clearTimeout(timer);
            reject(new Error(`cannot start ${binary}: ${e.message}`));
        });
    });
    return g;
}

/// Sanitizer reports (ASan, UBSan, LeakSanitizer) in gatewayd's output.
export function sanitizer_reports(output) {
    return output.split('\n').filter((l) => /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer/.test(l));
}
