// Checks that each fake upstream writes the wire layout of the real API: its answer to a request
// like the one recorded is compared with the recording-derived fixture in tests/fixtures/sdk/
// (framing bytes, `event:` lines, terminator, JSON spacing and padding, and for every kind of
// event both contain, the same set of fields).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/sdk');

// Payload subtrees whose keys are user data (schemas, tool arguments, metadata).
const OPAQUE = new Set(['args', 'input', 'parameters', 'schema', 'metadata']);
// In streams the output items are compared in their own events (`output_item.added/done`), not
// inside the response snapshots, whose `output` depends on the answer.
const STREAM_OPAQUE = new Set([...OPAQUE, 'output']);

function same_fields(got, want, what) {
    const extra = [...got].filter((x) => !want.has(x)).sort();
    const missing = [...want].filter((x) => !got.has(x)).sort();
    if (extra.length || missing.length) {
        assert.fail(`${what}: only in the fake: ${JSON.stringify(extra)}; only in the recording: ${JSON.stringify(missing)}`);
    }
}

function shape_of(value, prefix, out, opaque = OPAQUE) {
    if (Array.isArray(value)) {
        for (const v of value) shape_of(v, `${prefix}[]`, out, opaque);
        if (!value.length) out.add(`${prefix}:[]`);
    } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
            const p = prefix ? `${prefix}.${k}` : k;
            if (opaque.has(k)) out.add(`${p}:opaque`);
            else shape_of(v, p, out, opaque);
        }
    } else {
        out.add(`${prefix}:${value === null ? 'null' : typeof value}`);
    }
    return out;
}

/// SSE body → {separator, frames: [{event, data, raw}]}.
export function parse_sse(text) {
    const separator = text.includes('\r\n\r\n') ? '\r\n\r\n' : '\n\n';
    const frames = text.split(separator).filter((f) => f.length).map((raw) => {
        const lines = raw.split(/\r?\n/);
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        return { event, data, raw };
    });
    return { separator, frames };
}

/// What kind of event a payload is, per format (so that like is compared with like).
const KINDS = {
    openai_chat(j) {
        if (!j.choices.length) return 'usage';
        const c = j.choices[0];
        const d = c.delta;
        if (c.finish_reason) return 'finish';
        if (d.role) return d.tool_calls ? 'role+tool_open' : 'role';
        if (d.tool_calls) return d.tool_calls[0].id ? 'tool_open' : 'tool_args';
        if (d.reasoning_content !== undefined) return 'reasoning';
        return 'content';
    },
    openai_responses(j) {
        return j.item ? `${j.type}:${j.item.type}` : j.type;
    },
    anthropic_messages(j) {
        if (j.type === 'content_block_start') return `${j.type}:${j.content_block.type}`;
        if (j.type === 'content_block_delta') return `${j.type}:${j.delta.type}`;
        return j.type;
    },
    gemini(j) {
        const c = j.candidates[0];
        const parts = c.content.parts;
        const kind = parts.some((p) => p.functionCall) ? 'function_call' : parts.some((p) => p.thought) ? 'thought' : 'text';
        return c.finishReason ? `${kind}+finish` : kind;
    },
};

function framing(format, text, sse) {
    const f = { separator: sse.separator, done: /data: \[DONE\]/.test(text) };
    f.event_lines = sse.frames.every((x) => x.event !== null);
    if (f.event_lines) f.event_is_type = sse.frames.every((x) => JSON.parse(x.data).type === x.event);
    if (format === 'gemini') f.colon_space = sse.frames.every((x) => x.data.startsWith('{"candidates": '));
    if (format === 'anthropic_messages') {
        f.ping = sse.frames.filter((x) => x.event === 'ping').map((x) => x.data);
        f.padding = sse.frames.some((x) => / +}$/.test(x.data));
    }
    return f;
}

function kinds_and_shapes(format, sse) {
    const shapes = new Map();
    const order = [];
    for (const x of sse.frames) {
        if (x.data === '[DONE]') continue;
        const j = JSON.parse(x.data);
        const kind = KINDS[format](j);
        order.push(kind);
        if (!shapes.has(kind)) shapes.set(kind, new Set());
        shape_of(j, '', shapes.get(kind), STREAM_OPAQUE);
    }
    return { order, shapes };
}

/// Compares a fake's SSE body with the fixture `rel` (under tests/fixtures/sdk/).
export function compare_stream(format, rel, body) {
    const fixture = readFileSync(path.join(FIXTURES, rel), 'utf8');
    const want = parse_sse(fixture);
    const got = parse_sse(body);
    assert.deepEqual(framing(format, body, got), framing(format, fixture, want), 'framing');
    const a = kinds_and_shapes(format, got);
    const b = kinds_and_shapes(format, want);
    assert.equal(a.order[0], b.order[0], 'first event');
    assert.equal(a.order[a.order.length - 1], b.order[b.order.length - 1], 'last event');
    let common = 0;
    for (const [kind, shape] of a.shapes) {
        if (!b.shapes.has(kind)) continue;
        common++;
        same_fields(shape, b.shapes.get(kind), `fields of "${kind}" events`);
    }
    assert.ok(common >= 2, 'the fake and the fixture share event kinds');
}

/// Compares a fake's JSON body with the fixture `rel`.
export function compare_json(rel, body) {
    const fixture = JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8'));
    same_fields(shape_of(JSON.parse(body), '', new Set()), shape_of(fixture, '', new Set()), 'fields of the body');
}

const USER = 'What is the capital of France?';
const TOOL = (name) => ({ name, description: 'Looks something up.', schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'], additionalProperties: false } });

/// Requests like the recorded ones, one per fixture: [format, fixture, path, body].
export const LAYOUT_CASES = [
    ['openai_chat', 'openai_chat/text-stream.sse', '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: USER }], stream: true, stream_options: { include_usage: true } }],
    ['openai_chat', 'openai_chat/tool-calls-stream.sse', '/v1/chat/completions', {
        model: 'gpt-4o', messages: [{ role: 'user', content: USER }], stream: true, stream_options: { include_usage: true },
        tools: [TOOL('get_country'), TOOL('get_product')].map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.schema } })),
    }],
    ['openai_chat', 'openai_chat/completion.json', '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: USER }] }],
    ['openai_responses', 'openai_responses/reasoning-text-stream.sse', '/v1/responses', {
        model: 'gpt-5-mini', input: USER, stream: true, store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'high', summary: 'detailed' },
        tools: [TOOL('calculator')].map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.schema, strict: true })), tool_choice: 'none',
    }],
    ['openai_responses', 'openai_responses/reasoning-function-call-stream.sse', '/v1/responses', {
        model: 'gpt-5-mini', input: USER, stream: true, store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'high', summary: 'detailed' },
        tools: [TOOL('calculator')].map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.schema, strict: true })),
    }],
    ['openai_responses', 'openai_responses/response.json', '/v1/responses', {
        model: 'gpt-5-mini', input: USER, store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'high', summary: 'detailed' },
        tools: [TOOL('calculator')].map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.schema, strict: true })), tool_choice: 'none',
    }],
    ['anthropic_messages', 'anthropic_messages/thinking-tool-use-stream.sse', '/v1/messages', {
        model: 'claude-sonnet-4-5', max_tokens: 8192, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: USER }],
        tools: [TOOL('fixed_version')].map((t) => ({ name: t.name, description: t.description, input_schema: t.schema })),
    }],
    ['anthropic_messages', 'anthropic_messages/text-stream.sse', '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 8192, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: USER }] }],
    ['anthropic_messages', 'anthropic_messages/tool-use-stream.sse', '/v1/messages', {
        model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: USER }],
        tools: [TOOL('pelican_a'), TOOL('pelican_b')].map((t) => ({ name: t.name, description: t.description, input_schema: t.schema })),
    }],
    ['anthropic_messages', 'anthropic_messages/message.json', '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: USER }] }],
    ['gemini', 'gemini/thought-text-stream.sse', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: USER }] }], generationConfig: { thinkingConfig: { includeThoughts: true } } }],
    ['gemini', 'gemini/function-call-stream.sse', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
        contents: [{ role: 'user', parts: [{ text: USER }] }], tools: [{ functionDeclarations: [{ name: 'get_country', description: '', parametersJsonSchema: TOOL('x').schema }] }],
    }],
    ['gemini', 'gemini/response.json', '/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ role: 'user', parts: [{ text: USER }] }] }],
];

const AUTH = {
    openai_chat: (key) => ({ authorization: `Bearer ${key}` }),
    openai_responses: (key) => ({ authorization: `Bearer ${key}` }),
    anthropic_messages: (key) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
    gemini: (key) => ({ 'x-goog-api-key': key }),
};

/// Sends one layout case to its fake and compares the answer with the fixture.
export async function check_layout([format, fixture, url_path, body], fake, key, signal) {
    const res = await fetch(fake.base_url + url_path, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH[format](key) }, body: JSON.stringify(body), signal });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    if (fixture.endsWith('.json')) compare_json(fixture, text);
    else compare_stream(format, fixture, text);
}
