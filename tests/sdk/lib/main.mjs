// The SDK end-to-end run: four strict upstreams, gatewayd in front of them, and every client
// SDK × every upstream × every scenario, streamed and not (see docs/testing.md).

import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import * as chat from '../clients/chat.mjs';
import * as responses from '../clients/responses.mjs';
import * as messages from '../clients/messages.mjs';
import { start_anthropic_messages } from '../upstreams/anthropic_messages.mjs';
import { start_gemini } from '../upstreams/gemini.mjs';
import { start_openai_chat } from '../upstreams/openai_chat.mjs';
import { start_openai_responses } from '../upstreams/openai_responses.mjs';
import { sanitizer_reports, start_gatewayd } from './gatewayd.mjs';
import { LAYOUT_CASES, check_layout } from './layout.mjs';
import { FAILURES, FAILURE_WORDS, PNG_BASE64, SCENARIOS, TEXT } from './scenarios.mjs';

const CLIENTS = { chat, responses, messages };
const GATEWAY_KEY = 'sk-gatewayd-sdk-e2e-7f3a9c1d5e8b2a64';
const CASE_TIMEOUT_MS = 20000;

/// Each upstream: its fake, the models gatewayd's channel serves (client name → upstream name)
/// and the name the fake reports back (the dated version, as the real APIs do).
const UPSTREAM_DEFS = {
    openai_chat: {
        key: 'sk-proj-upstream-chat-e2e-0000000000000000',
        start: start_openai_chat,
        models: { 'gpt-4o': { version: 'gpt-4o-2024-08-06', reasoning: false }, 'o4-mini': { version: 'o4-mini-2025-04-16', reasoning: true } },
        channel: { type: 'openai', models: { 'm-chat': 'gpt-4o', 'm-chat-reasoning': 'o4-mini' } },
        model: 'm-chat',
        reasoning_model: 'm-chat-reasoning',
    },
    openai_responses: {
        key: 'sk-proj-upstream-responses-e2e-00000000000',
        start: start_openai_responses,
        models: { 'gpt-5-mini': { version: 'gpt-5-mini-2025-08-07', reasoning: true } },
        channel: { type: 'openai', models: { 'm-responses': 'gpt-5-mini' }, settings: { upstream_format: 'openai_responses' } },
        model: 'm-responses',
    },
    anthropic_messages: {
        key: 'sk-ant-api03-upstream-e2e-000000000000000000',
        start: start_anthropic_messages,
        models: { 'claude-sonnet-4-5': { version: 'claude-sonnet-4-5-20250929' } },
        channel: { type: 'anthropic', models: { 'm-claude': 'claude-sonnet-4-5' } },
        model: 'm-claude',
    },
    gemini: {
        key: 'AIzaSyE2E-upstream-gemini-000000000000000',
        start: start_gemini,
        models: { 'gemini-2.5-flash': { version: 'gemini-2.5-flash', thinks: true } },
        channel: { type: 'gemini', models: { 'm-gemini': 'gemini-2.5-flash' } },
        model: 'm-gemini',
    },
};

function usage_text() {
    return `usage: node tests/sdk/run.mjs --gatewayd PATH [options]
  --gatewayd PATH     the gatewayd binary (not needed with --direct-only)
  --client LIST       comma-separated: ${Object.keys(CLIENTS).join(', ')} (default: all)
  --upstream LIST     comma-separated: ${Object.keys(UPSTREAM_DEFS).join(', ')} (short: chat, responses, anthropic, gemini)
  --scenario LIST     comma-separated scenario ids or substrings (default: all)
  --direct-only       only point each SDK straight at the fake of its own format (checks the fakes)
  --no-direct         skip that check
  --timeout SECONDS   bound for the whole run (default 150)
  --keep              keep the temporary directory (config, database, gatewayd log)
  --verbose           print what each upstream received`;
}

const ALIASES = { chat: 'openai_chat', responses: 'openai_responses', anthropic: 'anthropic_messages', claude: 'anthropic_messages', messages: 'anthropic_messages' };

function pick(list, all, aliases = {}) {
    if (!list) return Object.keys(all);
    return list.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
        const name = all[x] ? x : aliases[x];
        if (!name || !all[name]) throw new Error(`unknown name "${x}"\n${usage_text()}`);
        return name;
    });
}

/// Prints one line per case and keeps the count.
class report {
    passed = 0;
    failed = 0;
    failures = [];
    ok(label) {
        this.passed++;
        console.log(`ok   ${label}`);
    }
    fail(label, error) {
        this.failed++;
        const detail = String(error?.message ?? error).split('\n').map((l) => `       ${l}`).join('\n');
        this.failures.push(label);
        console.log(`FAIL ${label}\n${detail}`);
    }
}

async function with_timeout(ms, fn) {
    const controller = new AbortController();
    let timer;
    try {
        return await Promise.race([
            fn(controller.signal),
            new Promise((_, reject) => {
                timer = setTimeout(() => {
                    controller.abort();
                    reject(new Error(`case timed out after ${ms} ms`));
                }, ms);
            }),
        ]);
    } finally {
        clearTimeout(timer);
    }
}

/// A loopback server for the image given by URL (a gateway that fetches it stays on 127.0.0.1).
async function start_image_server() {
    const png = Buffer.from(PNG_BASE64, 'base64');
    const fetches = [];
    const server = http.createServer((req, res) => {
        fetches.push(req.url);
        if (req.url !== '/images/red-pixel.png') {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        url: `http://127.0.0.1:${server.address().port}/images/red-pixel.png`,
        fetches,
        close: () => new Promise((resolve) => {
            server.closeAllConnections?.();
            server.close(() => resolve());
        }),
    };
}

function describe_record(rec) {
    if (!rec) return 'no upstream request';
    return `upstream ${rec.upstream} answered ${rec.status}${rec.error ? `: ${String(typeof rec.error === 'string' ? rec.error : JSON.stringify(rec.error)).slice(0, 600)}` : ''}\n  upstream body: ${rec.raw.slice(0, 1500)}`;
}

/// The single request the upstream `fake` got during a case (and none elsewhere).
function only_record(fakes, fake) {
    const all = Object.values(fakes).flatMap((f) => f.records);
    assert.equal(all.length, 1, `exactly one upstream request (got ${all.length}: ${all.map((r) => `${r.upstream} ${r.status}`).join(', ')})`);
    assert.equal(all[0].upstream, fake.name, 'the request went to the upstream of the model');
    return all[0];
}

function check_answer(result, s, client, rec, expected_model) {
    assert.equal(result.model, expected_model, 'model name in the response');
    if (s.expect.text !== undefined) assert.equal(result.text, s.expect.text, 'text content');
    if (s.expect.json !== undefined) {
        let doc;
        try {
            doc = JSON.parse(result.text);
        } catch {
            assert.fail(`content is not JSON: ${JSON.stringify(result.text)}`);
        }
        assert.deepEqual(doc, s.expect.json, 'structured output content');
    }
    if (s.expect.tool_calls) {
        assert.deepEqual(result.tool_calls.map((c) => c.name), s.expect.tool_calls.map((t) => t.name), 'tool call names');
        result.tool_calls.forEach((c, i) => assert.deepEqual(c.args, s.expect.tool_calls[i].args, `arguments of ${c.name}`));
        for (const c of result.tool_calls) assert.ok(typeof c.id === 'string' && c.id.length > 0, 'tool call id');
        assert.equal(new Set(result.tool_calls.map((c) => c.id)).size, result.tool_calls.length, 'distinct tool call ids');
    } else {
        assert.deepEqual(result.tool_calls, [], 'no tool calls');
    }
    assert.equal(result.reasoning, s.expect.reasoning ?? null, 'reasoning text');
    assert.equal(result.stop, client.stops[s.expect.stop], 'stop reason');
    assert.deepEqual(result.usage, { input: rec.plan.usage.input, output: rec.plan.usage.output }, 'usage (input/output tokens) as the upstream counted them');
}

function comparable(r) {
    return { model: r.model, text: r.text, reasoning: r.reasoning, tool_calls: r.tool_calls.map((c) => ({ name: c.name, args: c.args })), stop: r.stop, usage: r.usage };
}

export async function main(argv) {
    const { values } = parseArgs({
        args: argv,
        options: {
            gatewayd: { type: 'string' },
            client: { type: 'string' },
            upstream: { type: 'string' },
            scenario: { type: 'string' },
            'direct-only': { type: 'boolean', default: false },
            'no-direct': { type: 'boolean', default: false },
            timeout: { type: 'string', default: '150' },
            keep: { type: 'boolean', default: false },
            verbose: { type: 'boolean', default: false },
            help: { type: 'boolean', default: false },
        },
    });
    if (values.help) {
        console.log(usage_text());
        return 0;
    }
    if (!values.gatewayd && !values['direct-only']) {
        console.error(`FAIL: --gatewayd PATH is required\n${usage_text()}`);
        return 2;
    }
    const client_ids = pick(values.client, CLIENTS, { openai_chat: 'chat', openai_responses: 'responses', anthropic: 'messages', anthropic_messages: 'messages' });
    const upstream_ids = pick(values.upstream, UPSTREAM_DEFS, ALIASES);
    const wanted = values.scenario?.split(',').map((x) => x.trim()).filter(Boolean);
    const scenario_wanted = (id) => !wanted || wanted.some((w) => id.includes(w));
    const started = Date.now();
    const out = new report();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gatewayd-sdk-e2e-'));
    const fakes = {};
    let image = null;
    let gw = null;
    let finished = false;

    const cleanup = async () => {
        if (gw && !gw.exited) gw.child.kill('SIGKILL');
        await Promise.all([...Object.values(fakes).map((f) => f.close()), image?.close()]);
        if (!values.keep) rmSync(dir, { recursive: true, force: true });
    };
    // However the runner ends, gatewayd does not outlive it.
    process.once('exit', () => {
        if (gw && !gw.exited) gw.child.kill('SIGKILL');
    });
    for (const sig of ['SIGINT', 'SIGTERM']) {
        process.once(sig, async () => {
            console.log(`FAIL suite: interrupted by ${sig}`);
            await cleanup();
            process.exit(1);
        });
    }
    const deadline = setTimeout(async () => {
        if (finished) return;
        console.log(`FAIL suite: the whole run exceeded ${values.timeout} s`);
        if (gw) console.log(`--- gatewayd output (tail) ---\n${gw.log_tail()}`);
        await cleanup();
        process.exit(1);
    }, Number(values.timeout) * 1000);
    deadline.unref();

    try {
        for (const [name, def] of Object.entries(UPSTREAM_DEFS)) fakes[name] = await def.start({ key: def.key, models: def.models });
        image = await start_image_server();
        const reset = () => Object.values(fakes).forEach((f) => f.reset());

        /// Runs one case: `fn(signal)` returns a result; `check(result)` asserts on it.
        const run_case = async (label, fn, { needs_gatewayd = true } = {}) => {
            reset();
            try {
                if (needs_gatewayd && gw?.exited) throw new Error(`gatewayd is not running (exited ${JSON.stringify(gw.exited)})`);
                const value = await with_timeout(CASE_TIMEOUT_MS, fn);
                out.ok(label);
                if (values.verbose) for (const r of Object.values(fakes).flatMap((f) => f.records)) console.log(`       ${r.method} ${r.path} ${r.raw}`);
                return value;
            } catch (e) {
                const rec = Object.values(fakes).flatMap((f) => f.records)[0];
                out.fail(label, `${e?.message ?? e}${e?.error ? `\n  client error body: ${JSON.stringify(e.error).slice(0, 800)}` : ''}\n  ${describe_record(rec)}`);
                return undefined;
            }
        };

        /// Every scenario and failure of one direction.
        const run_direction = async ({ client, up, base_url, key, label, model_of, expected_model_of }) => {
            const fake = fakes[up];
            const sdk = client.make_client({ base_url, key, timeout: CASE_TIMEOUT_MS });
            for (const s of SCENARIOS.filter((x) => scenario_wanted(x.id))) {
                const model = model_of(s);
                const req = client.build(s, { model, image_url: image.url });
                const ctx = { upstream: up, image_url: image.url, temperature: req.params.temperature };
                const attempt = (stream) => async (signal) => {
                    const result = stream ? await client.call_stream(sdk, req, signal) : await client.call(sdk, req, signal);
                    const rec = only_record(fakes, fake);
                    assert.equal(rec.status, 200, describe_record(rec));
                    assert.equal(rec.view.stream, stream, `the upstream request ${stream ? 'streams' : 'does not stream'}`);
                    s.upstream(rec.view, { ...ctx, body: rec.body });
                    if (up === 'anthropic_messages') assert.ok(Number.isInteger(rec.body.max_tokens) && rec.body.max_tokens > 0, 'Claude got max_tokens');
                    check_answer(result, s, client, rec, expected_model_of(model, s));
                    return result;
                };
                const whole = await run_case(`${label} ${s.id}`, attempt(false));
                const streamed = await run_case(`${label} ${s.id} (stream)`, attempt(true));
                if (whole && streamed) {
                    await run_case(`${label} ${s.id} (stream accumulator = non-stream)`, async () => {
                        assert.deepEqual(comparable(streamed), comparable(whole), 'the SDK accumulator gives the non-stream answer');
                    });
                }
            }
            for (const f of FAILURES.filter((x) => scenario_wanted(x.id))) {
                const req = client.build(f, { model: model_of(f), image_url: image.url });
                for (const stream of [false, true]) {
                    await run_case(`${label} ${f.id}${stream ? ' (stream)' : ''}`, async (signal) => {
                        let error = null;
                        try {
                            if (stream) await client.call_stream(sdk, req, signal);
                            else await client.call(sdk, req, signal);
                        } catch (e) {
                            error = e;
                        }
                        assert.ok(error, 'the call fails');
                        const rec = only_record(fakes, fake);
                        assert.equal(rec.status, f.status, 'the upstream failed as scripted');
                        assert.ok(error instanceof client.errors[f.status], `the SDK's typed error for ${f.status} (got ${error?.constructor?.name}: ${error?.message})`);
                        assert.equal(error.status, f.status, 'status');
                        assert.match(String(error.message), new RegExp(FAILURE_WORDS[up][f.status]), "the upstream's message reaches the client");
                    });
                }
            }
        };

        // 1. The fakes speak the real formats: their answers have the layout of the recordings
        //    (tests/fixtures/sdk/), and each SDK accepts them, straight at the fake of its format.
        if (!values['no-direct']) {
            for (const c of LAYOUT_CASES.filter(([format]) => upstream_ids.includes(format))) {
                await run_case(`layout ${c[0]} like ${c[1]}`, (signal) => check_layout(c, fakes[c[0]], UPSTREAM_DEFS[c[0]].key, signal));
            }
            for (const cid of client_ids) {
                const client = CLIENTS[cid];
                if (!upstream_ids.includes(client.format)) continue;
                const def = UPSTREAM_DEFS[client.format];
                const upstream_name = (s) => def.channel.models[(s.reasoning && def.reasoning_model) || def.model];
                await run_direction({
                    client,
                    up: client.format,
                    base_url: fakes[client.format].base_url,
                    key: def.key,
                    label: `${cid} -> ${client.format} (direct, no gateway)`,
                    model_of: upstream_name,
                    expected_model_of: (model) => def.models[model].version,
                });
            }
        }
        if (values['direct-only']) return finish();

        // 2. Through gatewayd: every client × every upstream.
        // Only the selected upstreams' channels, so that a filtered run needs only those.
        const channels = upstream_ids.map((name) => [name, UPSTREAM_DEFS[name]]).map(([name, def]) => ({
            name: `e2e-${name}`,
            type: def.channel.type,
            base_url: fakes[name].base_url,
            key: def.key,
            models: Object.keys(def.channel.models),
            model_mapping: def.channel.models,
            ...(def.channel.settings ? { settings: def.channel.settings } : {}),
        }));
        gw = await start_gatewayd({ binary: path.resolve(values.gatewayd), dir, channels, tokens: [{ name: 'sdk-e2e', key: GATEWAY_KEY }] });
        console.log(`# gatewayd at ${gw.base_url}; upstreams ${Object.values(fakes).map((f) => `${f.name}=${f.base_url}`).join(' ')}`);

        for (const cid of client_ids) {
            const client = CLIENTS[cid];
            for (const up of upstream_ids) {
                const def = UPSTREAM_DEFS[up];
                await run_direction({
                    client,
                    up,
                    base_url: gw.base_url,
                    key: GATEWAY_KEY,
                    label: `${cid} -> ${up}`,
                    model_of: (s) => (s.reasoning && def.reasoning_model) || def.model,
                    expected_model_of: (model) => model,
                });
            }
            // A wrong relay key: the SDK's own 401 error, nothing sent upstream.
            await run_case(`${cid} -> gatewayd bad-key`, async (signal) => {
                const sdk = client.make_client({ base_url: gw.base_url, key: 'sk-not-a-gatewayd-key-000000000', timeout: CASE_TIMEOUT_MS });
                const req = client.build(SCENARIOS[0], { model: UPSTREAM_DEFS[upstream_ids[0]].model, image_url: image.url });
                const error = await client.call(sdk, req, signal).then(() => null, (e) => e);
                assert.ok(error instanceof client.errors[401], `the SDK's AuthenticationError (got ${error?.constructor?.name}: ${error?.message})`);
                assert.equal(error.status, 401, 'status');
                assert.equal(Object.values(fakes).flatMap((f) => f.records).length, 0, 'nothing sent upstream');
                if (cid === 'messages') assert.equal(error.error?.error?.type, 'authentication_error', 'Anthropic error type');
                else assert.equal(error.code, 'invalid_api_key', 'OpenAI error code');
            });
        }

        // 3. The Anthropic endpoint takes the key as x-api-key and as a Bearer token, and any
        //    anthropic-version.
        if (client_ids.includes('messages')) {
            const variants = [
                { name: 'auth-bearer', auth: 'bearer' },
                { name: 'anthropic-version-2023-01-01', version: '2023-01-01' },
                { name: 'anthropic-version-unknown', version: '2024-12-31', converted_only: true },
            ];
            for (const up of upstream_ids) {
                const def = UPSTREAM_DEFS[up];
                for (const v of variants) {
                    // An upstream of the same format gets the client's version passed through.
                    if (v.converted_only && up === 'anthropic_messages') continue;
                    await run_case(`messages -> ${up} ${v.name}`, async (signal) => {
                        const sdk = messages.make_client({ base_url: gw.base_url, key: GATEWAY_KEY, timeout: CASE_TIMEOUT_MS, auth: v.auth, version: v.version });
                        const result = await messages.call(sdk, messages.build(SCENARIOS[0], { model: def.model, image_url: image.url }), signal);
                        const rec = only_record(fakes, fakes[up]);
                        assert.equal(rec.status, 200, describe_record(rec));
                        assert.equal(result.text, TEXT, 'text content');
                        assert.equal(result.model, def.model, 'model name in the response');
                    });
                }
            }
        }

        // 4. gatewayd stops cleanly on SIGTERM, with no sanitizer report.
        await run_case('gatewayd shutdown (SIGTERM, exit 0)', async () => {
            const status = await gw.stop();
            assert.deepEqual(status, { code: 0, signal: null }, 'exit status');
        });
        await run_case('gatewayd sanitizer reports (ASan/UBSan/LSan)', async () => {
            const reports = sanitizer_reports(gw.output);
            assert.deepEqual(reports, [], 'no sanitizer report in the gatewayd output');
        }, { needs_gatewayd: false });
        if (image.fetches.length) console.log(`# gatewayd fetched the URL image ${image.fetches.length} time(s)`);
        return finish();
    } catch (e) {
        out.fail('suite', e?.stack ?? e);
        return finish();
    }

    async function finish() {
        finished = true;
        clearTimeout(deadline);
        if (out.failed && gw) console.log(`--- gatewayd output (tail) ---\n${gw.log_tail(80)}`);
        await cleanup();
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        if (values.keep) console.log(`# kept ${dir}`);
        console.log(`# ${secs} s`);
        console.log(`sdk_e2e: ${out.passed} passed, ${out.failed} failed`);
        return out.failed ? 1 : 0;
    }
}
