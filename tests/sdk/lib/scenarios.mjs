// The scenarios every client SDK runs against every upstream, in neutral form: each client
// module (clients/*.mjs) writes them in its own API, and the checks here read what the
// upstream received through that upstream's neutral view (upstreams/*.mjs `view`).

import assert from 'node:assert/strict';
import { ANSWERS } from '../upstreams/common.mjs';

/// A 1×1 red PNG.
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

export const SYSTEM = 'You are a terse geography assistant. Answer in one sentence.';

export const WEATHER_TOOL = {
    name: 'get_weather',
    description: 'Current weather for a city.',
    schema: {
        type: 'object',
        properties: {
            city: { type: 'string', description: 'City name, e.g. Paris' },
            unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['city', 'unit'],
        additionalProperties: false,
    },
    args: { city: 'Paris', unit: 'celsius' },
};

export const TIME_TOOL = {
    name: 'get_local_time',
    description: 'Local time in an IANA time zone.',
    schema: {
        type: 'object',
        properties: { timezone: { type: 'string' } },
        required: ['timezone'],
        additionalProperties: false,
    },
    args: { timezone: 'Europe/Paris' },
};

export const CITY_SCHEMA = {
    type: 'object',
    properties: {
        city: { type: 'string' },
        country: { type: 'string' },
        population_millions: { type: 'number' },
    },
    required: ['city', 'country', 'population_millions'],
    additionalProperties: false,
};
export const CITY_DOC = { city: 'Paris', country: 'France', population_millions: 2.1 };

const join = (pieces) => pieces.join('');
export const TEXT = join(ANSWERS.text);

/// The parts of a view's turns of one type.
function parts(view, type) {
    return view.turns.flatMap((t) => t.parts.filter((p) => p.type === type));
}

function user_texts(view) {
    return view.turns.filter((t) => t.role === 'user').flatMap((t) => t.parts.filter((p) => p.type === 'text').map((p) => p.text));
}

/// A JSON Schema reduced to what every upstream must keep: types (any case), properties,
/// required, enum, items.
export function schema_core(schema) {
    if (!schema || typeof schema !== 'object') return schema;
    const out = {};
    if (schema.type !== undefined) out.type = String(schema.type).toLowerCase();
    if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, schema_core(v)]));
    if (schema.required) out.required = [...schema.required].sort();
    if (schema.enum) out.enum = schema.enum;
    if (schema.items) out.items = schema_core(schema.items);
    return out;
}

function check_tools(view, tools) {
    assert.deepEqual(view.tools.map((t) => t.name), tools.map((t) => t.name), 'tool names the upstream received');
    tools.forEach((t, i) => {
        assert.deepEqual(schema_core(view.tools[i].schema), schema_core(t.schema), `JSON Schema of ${t.name} the upstream received`);
    });
}

function check_history_results(view, calls, has_ids) {
    const sent = parts(view, 'tool_call');
    const results = parts(view, 'tool_result');
    assert.deepEqual(sent.map((c) => c.name), calls.map((c) => c.name), 'tool calls in the upstream history');
    sent.forEach((c, i) => assert.deepEqual(c.args, calls[i].args, `arguments of ${c.name} in the upstream history`));
    assert.equal(results.length, calls.length, 'tool results the upstream received');
    results.forEach((r, i) => {
        assert.match(JSON.stringify(r.output), new RegExp(calls[i].marker), `tool result ${i} content reached the upstream`);
        if (has_ids) {
            assert.ok(sent[i].id, `tool call ${i} has an id upstream`);
            assert.equal(r.id, sent[i].id, `tool result ${i} refers to its call's id upstream`);
        } else if (r.name !== undefined) {
            assert.equal(r.name, sent[i].name, `tool result ${i} names its call upstream`);
        }
    });
    assert.equal(new Set(sent.map((c) => c.id)).size, sent.length, 'distinct call ids upstream');
}

const HISTORY_CALLS = [
    { ...WEATHER_TOOL, output: '{"temperature_c":18,"sky":"sunny"}', marker: 'temperature_c' },
    { ...TIME_TOOL, output: '{"local_time":"14:05"}', marker: 'local_time' },
];

/// Each scenario: the conversation (`system`, `turns`: user/assistant text, optional image,
/// assistant tool calls, tool results), what it asks (`tools`, `structured`, `reasoning`, sampling)
/// and what must come back (`expect`), plus `upstream(view, ctx)`, the check of what the upstream
/// received. `ctx.upstream` is the upstream format id, `ctx.body` the raw upstream body,
/// `ctx.temperature` the temperature the client sent (if any).
export const SCENARIOS = [
    {
        id: 'text',
        turns: [{ role: 'user', text: 'What is the capital of France?' }],
        expect: { text: TEXT, stop: 'end' },
        upstream(view) {
            assert.deepEqual(user_texts(view), ['What is the capital of France?'], 'user text upstream');
            assert.equal(view.system, null, 'no system text upstream');
        },
    },
    {
        id: 'system',
        system: SYSTEM,
        max_tokens: 300,
        temperature: 0.3,
        turns: [{ role: 'user', text: 'What is the capital of France?' }],
        expect: { text: TEXT, stop: 'end' },
        upstream(view, ctx) {
            assert.equal(view.system, SYSTEM, 'system/developer instructions upstream');
            assert.deepEqual(user_texts(view), ['What is the capital of France?'], 'user text upstream (system not repeated as a turn)');
            assert.equal(view.max_tokens, 300, 'output token limit upstream');
            // gpt-5-mini (a reasoning model) refuses temperature: dropping it is right there.
            if (ctx.temperature !== undefined && ctx.upstream !== 'openai_responses') assert.equal(view.temperature, ctx.temperature, 'temperature upstream');
            if (ctx.upstream === 'gemini') {
                assert.ok(ctx.body.contents && (ctx.body.systemInstruction || ctx.body.system_instruction), 'Gemini got contents + systemInstruction');
            }
        },
    },
    {
        id: 'multi-turn',
        turns: [
            { role: 'user', text: 'My name is Ada.' },
            { role: 'assistant', text: 'Nice to meet you, Ada.' },
            { role: 'user', text: 'What is my name?' },
        ],
        expect: { text: TEXT, stop: 'end' },
        upstream(view) {
            const turns = view.turns.map((t) => ({ role: t.role, text: t.parts.filter((p) => p.type === 'text').map((p) => p.text).join('') }));
            assert.deepEqual(turns, [
                { role: 'user', text: 'My name is Ada.' },
                { role: 'assistant', text: 'Nice to meet you, Ada.' },
                { role: 'user', text: 'What is my name?' },
            ], 'turns upstream, in order');
        },
    },
    {
        id: 'tools',
        turns: [{ role: 'user', text: 'What is the weather in Paris?' }],
        tools: [WEATHER_TOOL],
        expect: { tool_calls: [WEATHER_TOOL], stop: 'tool' },
        upstream(view) {
            check_tools(view, [WEATHER_TOOL]);
        },
    },
    {
        id: 'parallel-tools',
        turns: [{ role: 'user', text: 'What are the weather and the local time in Paris?' }],
        tools: [WEATHER_TOOL, TIME_TOOL],
        expect: { tool_calls: [WEATHER_TOOL, TIME_TOOL], stop: 'tool' },
        upstream(view) {
            check_tools(view, [WEATHER_TOOL, TIME_TOOL]);
        },
    },
    {
        id: 'tool-history',
        turns: [
            { role: 'user', text: 'What are the weather and the local time in Paris?' },
            { role: 'assistant', tool_calls: HISTORY_CALLS },
            { role: 'tool', results: HISTORY_CALLS },
        ],
        tools: [WEATHER_TOOL, TIME_TOOL],
        expect: { text: join(ANSWERS.after_tool), stop: 'end' },
        upstream(view, ctx) {
            check_tools(view, [WEATHER_TOOL, TIME_TOOL]);
            check_history_results(view, HISTORY_CALLS, ctx.upstream !== 'gemini');
        },
    },
    {
        id: 'structured',
        turns: [{ role: 'user', text: 'Give me facts about the capital of France as JSON.' }],
        structured: { name: 'city_info', schema: CITY_SCHEMA },
        expect: { json: CITY_DOC, stop: 'end' },
        upstream(view) {
            if (view.structured) {
                assert.deepEqual(schema_core(view.structured.schema), schema_core(CITY_SCHEMA), 'output schema upstream');
            } else {
                // Anthropic without native structured output: a forced tool whose input is the JSON.
                assert.ok(view.forced_tool, 'structured output asked natively or by a forced tool');
                const tool = view.tools.find((t) => t.name === view.forced_tool);
                assert.deepEqual(schema_core(tool?.schema), schema_core(CITY_SCHEMA), 'schema of the forced tool upstream');
            }
        },
    },
    {
        id: 'vision-url',
        image: 'url',
        turns: [{ role: 'user', text: 'What is in this image?', image: true }],
        expect: { text: join(ANSWERS.vision), stop: 'end' },
        upstream(view, ctx) {
            const images = parts(view, 'image');
            assert.equal(images.length, 1, 'one image upstream');
            const img = images[0];
            if (img.url !== undefined) assert.equal(img.url, ctx.image_url, 'image URL upstream');
            else assert.deepEqual({ mime: img.mime, data: img.data }, { mime: 'image/png', data: PNG_BASE64 }, 'fetched image inlined upstream');
            assert.deepEqual(user_texts(view), ['What is in this image?'], 'prompt text upstream');
        },
    },
    {
        id: 'vision-base64',
        image: 'base64',
        turns: [{ role: 'user', text: 'What is in this image?', image: true }],
        expect: { text: join(ANSWERS.vision), stop: 'end' },
        upstream(view) {
            const images = parts(view, 'image');
            assert.equal(images.length, 1, 'one image upstream');
            assert.deepEqual({ mime: images[0].mime, data: images[0].data }, { mime: 'image/png', data: PNG_BASE64 }, 'base64 image upstream');
        },
    },
    {
        id: 'reasoning',
        reasoning: true,
        turns: [{ role: 'user', text: 'What is the capital of France? Think first.' }],
        expect: { text: TEXT, reasoning: join(ANSWERS.reasoning), stop: 'end' },
        upstream(view) {
            assert.ok(view.reasoning.asked, 'reasoning asked upstream');
            assert.ok(view.reasoning.visible, 'reasoning text asked upstream (summary / include thoughts / shown)');
        },
    },
];

/// Upstream failures the SDKs must see as their own typed errors.
export const FAILURES = [
    { id: 'upstream-429', status: 429, turns: [{ role: 'user', text: 'Hello [[fail:429]]' }] },
    { id: 'upstream-400', status: 400, turns: [{ role: 'user', text: 'Hello [[fail:400]]' }] },
];

/// The words of each upstream's scripted failure message, which should reach the client.
export const FAILURE_WORDS = {
    openai_chat: { 429: 'Rate limit reached', 400: 'maximum context length' },
    openai_responses: { 429: 'Rate limit reached', 400: 'maximum context length' },
    anthropic_messages: { 429: 'exceed the rate limit', 400: 'prompt is too long' },
    gemini: { 429: 'exceeded your current quota', 400: 'input token count' },
};
