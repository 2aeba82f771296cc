// The scenarios through the official `openai` SDK's Chat Completions API.

import assert from 'node:assert/strict';
import { PNG_BASE64 } from '../lib/scenarios.mjs';

export const id = 'chat';
export const format = 'openai_chat';
export const stops = { end: 'stop', tool: 'tool_calls' };
export { errors, make_client } from './openai_sdk.mjs';

const CALL_IDS = ['call_e2eWeatherQ0bS1xk2', 'call_e2eTimeVb3nR8wz41'];

function message_of(turn, ctx) {
    if (turn.role === 'assistant' && turn.tool_calls) {
        return {
            role: 'assistant',
            content: null,
            tool_calls: turn.tool_calls.map((c, i) => ({ id: CALL_IDS[i], type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })),
        };
    }
    if (turn.role === 'tool') return turn.results.map((r, i) => ({ role: 'tool', tool_call_id: CALL_IDS[i], content: r.output }));
    if (turn.image) {
        const url = ctx.image === 'url' ? ctx.image_url : `data:image/png;base64,${PNG_BASE64}`;
        return { role: 'user', content: [{ type: 'text', text: turn.text }, { type: 'image_url', image_url: { url } }] };
    }
    return { role: turn.role, content: turn.text };
}

/// Request params and per-call options for a scenario.
export function build(s, ctx) {
    const params = { model: ctx.model, messages: [] };
    if (s.system) params.messages.push({ role: 'system', content: s.system });
    for (const t of s.turns) params.messages.push(...[message_of(t, { ...ctx, image: s.image })].flat());
    if (s.tools) params.tools = s.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.schema, strict: true } }));
    if (s.structured) params.response_format = { type: 'json_schema', json_schema: { name: s.structured.name, schema: s.structured.schema, strict: true } };
    if (s.max_tokens) params.max_tokens = s.max_tokens;
    if (s.temperature !== undefined) params.temperature = s.temperature;
    const options = {};
    if (s.reasoning) {
        params.reasoning_effort = 'low';
        // The gateway shows reasoning to Chat clients on request (`?thinking=true`).
        options.query = { thinking: 'true' };
    }
    return { params, options };
}

function normalize(c) {
    const choice = c.choices[0];
    const m = choice.message;
    return {
        model: c.model,
        text: m.content ?? '',
        reasoning: m.reasoning_content ?? null,
        tool_calls: (m.tool_calls ?? []).map((t) => ({ id: t.id, name: t.function.name, args: JSON.parse(t.function.arguments) })),
        stop: choice.finish_reason,
        usage: c.usage ? { input: c.usage.prompt_tokens, output: c.usage.completion_tokens } : null,
    };
}

export async function call(client, { params, options }, signal) {
    return normalize(await client.chat.completions.create(params, { ...options, signal }));
}

/// Streams with the SDK's own accumulator (`stream().finalChatCompletion()`), checking the
/// chunks on the way; reasoning deltas are concatenated here (the accumulator keeps only the
/// last `reasoning_content` piece of this non-OpenAI field).
export async function call_stream(client, { params, options }, signal) {
    const stream = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } }, { ...options, signal });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const final = normalize(await stream.finalChatCompletion());
    assert.ok(chunks.length >= 2, 'several chunks');
    for (const c of chunks) {
        assert.equal(c.object, 'chat.completion.chunk', 'chunk object');
        assert.equal(c.id, chunks[0].id, 'every chunk repeats the id');
        assert.equal(c.model, chunks[0].model, 'every chunk repeats the model');
    }
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, [], 'the usage chunk (include_usage) has choices:[] and comes last');
    assert.ok(last.usage, 'the usage chunk carries usage');
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1, 'one chunk with a finish_reason');
    const reasoning = chunks.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join('');
    final.reasoning = reasoning || null;
    return final;
}
