// The scenarios through the official `openai` SDK's Responses API.

import assert from 'node:assert/strict';
import { PNG_BASE64 } from '../lib/scenarios.mjs';

export const id = 'responses';
export const format = 'openai_responses';
export const stops = { end: 'completed', tool: 'completed' };
export { errors, make_client } from './openai_sdk.mjs';

const CALL_IDS = ['call_e2eRespWeather7Kq2', 'call_e2eRespTime9Xw4m'];

function items_of(turn, ctx) {
    if (turn.role === 'assistant' && turn.tool_calls) {
        return turn.tool_calls.map((c, i) => ({ type: 'function_call', call_id: CALL_IDS[i], name: c.name, arguments: JSON.stringify(c.args) }));
    }
    if (turn.role === 'tool') return turn.results.map((r, i) => ({ type: 'function_call_output', call_id: CALL_IDS[i], output: r.output }));
    if (turn.image) {
        const image_url = ctx.image === 'url' ? ctx.image_url : `data:image/png;base64,${PNG_BASE64}`;
        return [{ role: 'user', content: [{ type: 'input_text', text: turn.text }, { type: 'input_image', image_url, detail: 'auto' }] }];
    }
    return [{ role: turn.role, content: turn.text }];
}

export function build(s, ctx) {
    const params = { model: ctx.model, input: s.turns.flatMap((t) => items_of(t, { ...ctx, image: s.image })) };
    if (s.system) params.instructions = s.system;
    if (s.tools) params.tools = s.tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.schema, strict: true }));
    if (s.structured) params.text = { format: { type: 'json_schema', name: s.structured.name, schema: s.structured.schema, strict: true } };
    if (s.max_tokens) params.max_output_tokens = s.max_tokens;
    // Responses clients talk to reasoning models here, which refuse sampling knobs.
    if (s.reasoning) {
        params.reasoning = { effort: 'low', summary: 'auto' };
        params.include = ['reasoning.encrypted_content'];
        params.store = false;
    }
    return { params, options: {} };
}

function normalize(r) {
    const text = r.output.filter((i) => i.type === 'message').flatMap((i) => i.content.filter((c) => c.type === 'output_text').map((c) => c.text)).join('');
    const reasoning_items = r.output.filter((i) => i.type === 'reasoning');
    const reasoning = reasoning_items.flatMap((i) => (i.summary ?? []).map((s) => s.text)).join('');
    return {
        model: r.model,
        text,
        reasoning: reasoning || null,
        tool_calls: r.output.filter((i) => i.type === 'function_call').map((i) => ({ id: i.call_id, name: i.name, args: JSON.parse(i.arguments) })),
        stop: r.status,
        usage: r.usage ? { input: r.usage.input_tokens, output: r.usage.output_tokens } : null,
    };
}

export async function call(client, { params, options }, signal) {
    return normalize(await client.responses.create(params, { ...options, signal }));
}

/// Streams with the SDK's `responses.stream(...).finalResponse()`, and checks that the deltas
/// add up to the final response and that `sequence_number` counts from 0.
export async function call_stream(client, { params, options }, signal) {
    const stream = client.responses.stream(params, { ...options, signal });
    const events = [];
    for await (const e of stream) events.push(e);
    const final = normalize(await stream.finalResponse());
    assert.equal(events[0]?.type, 'response.created', 'first event');
    assert.equal(events[events.length - 1]?.type, 'response.completed', 'last event');
    events.forEach((e, i) => assert.equal(e.sequence_number, i, `sequence_number of event ${i} (${e.type})`));
    const deltas = (type) => events.filter((e) => e.type === type).map((e) => e.delta).join('');
    assert.equal(deltas('response.output_text.delta'), final.text, 'output_text deltas add up to the final text');
    assert.equal(deltas('response.reasoning_summary_text.delta') || null, final.reasoning, 'reasoning summary deltas add up to the final summary');
    const args = events.filter((e) => e.type === 'response.function_call_arguments.done').map((e) => JSON.parse(e.arguments));
    assert.deepEqual(args, final.tool_calls.map((c) => c.args), 'function_call_arguments.done events match the final calls');
    return final;
}
