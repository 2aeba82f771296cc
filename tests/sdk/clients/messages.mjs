// The scenarios through the official `@anthropic-ai/sdk` Messages API.

import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { PNG_BASE64 } from '../lib/scenarios.mjs';

export const id = 'messages';
export const format = 'anthropic_messages';
export const stops = { end: 'end_turn', tool: 'tool_use' };
export const errors = { 400: Anthropic.BadRequestError, 401: Anthropic.AuthenticationError, 429: Anthropic.RateLimitError };

/// `auth`: 'api_key' (x-api-key, the default) or 'bearer' (Authorization: Bearer, `authToken`).
export function make_client({ base_url, key, timeout, auth = 'api_key', version }) {
    const opts = { baseURL: base_url, maxRetries: 0, timeout };
    if (auth === 'bearer') Object.assign(opts, { apiKey: null, authToken: key });
    else opts.apiKey = key;
    if (version) opts.defaultHeaders = { 'anthropic-version': version };
    return new Anthropic(opts);
}

const CALL_IDS = ['toolu_01E2EWeatherXq7B3mNc', 'toolu_01E2ETimeLw5Zp2Rt8v'];

function message_of(turn, ctx) {
    if (turn.role === 'assistant' && turn.tool_calls) {
        return { role: 'assistant', content: turn.tool_calls.map((c, i) => ({ type: 'tool_use', id: CALL_IDS[i], name: c.name, input: c.args })) };
    }
    if (turn.role === 'tool') {
        return { role: 'user', content: turn.results.map((r, i) => ({ type: 'tool_result', tool_use_id: CALL_IDS[i], content: r.output })) };
    }
    if (turn.image) {
        const source = ctx.image === 'url' ? { type: 'url', url: ctx.image_url } : { type: 'base64', media_type: 'image/png', data: PNG_BASE64 };
        return { role: 'user', content: [{ type: 'text', text: turn.text }, { type: 'image', source }] };
    }
    return { role: turn.role, content: turn.text };
}

export function build(s, ctx) {
    const params = { model: ctx.model, max_tokens: s.max_tokens ?? 1024, messages: s.turns.map((t) => message_of(t, { ...ctx, image: s.image })) };
    if (s.system) params.system = s.system;
    if (s.tools) params.tools = s.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.schema }));
    if (s.structured) params.output_config = { format: { type: 'json_schema', schema: s.structured.schema } };
    if (s.temperature !== undefined) params.temperature = s.temperature;
    if (s.reasoning) {
        params.max_tokens = 8192;
        params.thinking = { type: 'enabled', budget_tokens: 4096 };
    }
    return { params, options: {} };
}

function normalize(m) {
    const thinking = m.content.filter((b) => b.type === 'thinking');
    for (const b of thinking) assert.equal(typeof b.signature, 'string', 'thinking blocks carry a signature');
    return {
        model: m.model,
        text: m.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
        reasoning: thinking.map((b) => b.thinking).join('') || null,
        tool_calls: m.content.filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, args: b.input })),
        stop: m.stop_reason,
        usage: m.usage ? { input: m.usage.input_tokens, output: m.usage.output_tokens } : null,
    };
}

export async function call(client, { params, options }, signal) {
    return normalize(await client.messages.create(params, { ...options, signal }));
}

/// Streams with the SDK's `messages.stream(...).finalMessage()`.
export async function call_stream(client, { params, options }, signal) {
    const stream = client.messages.stream(params, { ...options, signal });
    const events = [];
    for await (const e of stream) events.push(e);
    const final = normalize(await stream.finalMessage());
    assert.equal(events[0]?.type, 'message_start', 'first event');
    assert.equal(events[events.length - 1]?.type, 'message_stop', 'last event');
    assert.equal(events.filter((e) => e.type === 'message_delta').length, 1, 'one message_delta');
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.index);
    assert.deepEqual(starts, starts.map((_, i) => i), 'content blocks indexed from 0');
    return final;
}
