// A strict loopback Anthropic Messages upstream (`POST /v1/messages`).
// Wire layout modelled on tests/fixtures/sdk/anthropic_messages/: compact JSON `message` bodies;
// streams of `event: <type>\ndata: <json>\n\n` frames — `message_start`, per block
// `content_block_start` / `content_block_delta`* / `content_block_stop` (a `ping` after the
// first block start), `message_delta` with the stop reason and final usage, `message_stop` —
// whose payloads carry a run of spaces before their last `}` as the real API's do.

import { randomBytes } from 'node:crypto';
import { http_error, is_object, is_png_base64, parse_json, plan_answer, random_id, start_upstream, text_of } from './common.mjs';
import { fragments } from './openai_common.mjs';

// CreateMessageParams in Anthropic's OpenAPI spec.
const KNOWN_PARAMS = new Set([
    'cache_control', 'container', 'inference_geo', 'max_tokens', 'messages', 'metadata', 'model',
    'output_config', 'service_tier', 'stop_sequences', 'stream', 'system', 'temperature', 'thinking',
    'tool_choice', 'tools', 'top_k', 'top_p',
]);
const VERSIONS = new Set(['2023-06-01', '2023-01-01']);
const MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const BLOCKS = {
    user: new Set(['text', 'image', 'document', 'tool_result', 'search_result']),
    assistant: new Set(['text', 'tool_use', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_tool_result']),
};

function anthropic_error(status, type, message) {
    const request_id = random_id('req_011C', 20);
    return new http_error(status, JSON.stringify({ type: 'error', error: { type, message }, request_id }), { 'request-id': request_id });
}

function invalid(message) {
    return anthropic_error(400, 'invalid_request_error', message);
}

function blocks_of(content) {
    return typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []);
}

function text_of_blocks(content) {
    return blocks_of(content).filter((b) => b.type === 'text').map((b) => b.text).join('');
}

/// The neutral view of a Messages request (see common.mjs).
export function view(body) {
    const turns = (body.messages ?? []).map((m) => ({
        role: m.role,
        parts: blocks_of(m.content).map((b) => {
            switch (b.type) {
                case 'text': return { type: 'text', text: b.text };
                case 'image':
                    return b.source?.type === 'url' ? { type: 'image', url: b.source.url } : { type: 'image', mime: b.source?.media_type, data: b.source?.data };
                case 'tool_use': return { type: 'tool_call', id: b.id, name: b.name, args: b.input };
                case 'tool_result': return { type: 'tool_result', id: b.tool_use_id, output: typeof b.content === 'string' ? b.content : text_of_blocks(b.content) };
                case 'thinking': return { type: 'reasoning', text: b.thinking, signature: b.signature };
                default: return { type: b.type };
            }
        }),
    }));
    const system = typeof body.system === 'string' ? body.system : Array.isArray(body.system) ? text_of_blocks(body.system) : null;
    const tools = (body.tools ?? []).filter((t) => !t.type || t.type === 'custom').map((t) => ({ name: t.name, description: t.description, schema: t.input_schema }));
    const choice = body.tool_choice;
    const format = body.output_config?.format;
    const thinking = body.thinking;
    const asked = thinking?.type === 'enabled' || thinking?.type === 'adaptive';
    return {
        model: body.model,
        stream: body.stream === true,
        max_tokens: body.max_tokens ?? null,
        temperature: body.temperature ?? null,
        system: system || null,
        turns,
        tools,
        tool_choice: choice?.type ?? null,
        forced_tool: choice?.type === 'tool' ? choice.name : null,
        structured: format?.type === 'json_schema' ? { schema: format.schema } : null,
        reasoning: { asked, visible: asked && thinking.display !== 'omitted', budget: thinking?.budget_tokens ?? null },
    };
}

function validate(body, headers) {
    const version = headers['anthropic-version'];
    if (!version) throw invalid('anthropic-version: header is required');
    if (!VERSIONS.has(version)) throw invalid(`anthropic-version: invalid version '${version}'`);
    for (const key of Object.keys(body)) {
        if (!KNOWN_PARAMS.has(key)) throw invalid(`${key}: Extra inputs are not permitted`);
    }
    if (body.max_tokens === undefined) throw invalid('max_tokens: Field required');
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) throw invalid('max_tokens: Input should be a valid integer greater than or equal to 1');
    if (!Array.isArray(body.messages)) throw invalid('messages: Field required');
    if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) throw invalid('system: Input should be a valid string');
    let pending_tool_uses = null; // ids of the previous assistant message's tool_use blocks
    body.messages.forEach((m, i) => {
        if (m?.role === 'system') {
            throw invalid('messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.');
        }
        if (m?.role !== 'user' && m?.role !== 'assistant') throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
        if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw invalid(`messages.${i}.content: Input should be a valid list`);
        const blocks = blocks_of(m.content);
        const results = new Set();
        blocks.forEach((b, j) => {
            const at = `messages.${i}.content.${j}`;
            if (!BLOCKS[m.role].has(b?.type)) {
                throw invalid(`${at}: Input tag '${b?.type}' found using 'type' does not match any of the expected tags for ${m.role} messages`);
            }
            if (b.type === 'text' && (typeof b.text !== 'string' || b.text === '')) throw invalid(`${at}.text: ${typeof b.text === 'string' ? 'text content blocks must be non-empty' : 'Field required'}`);
            if (b.type === 'thinking' && typeof b.signature !== 'string') throw invalid(`${at}.thinking.signature: Field required`);
            if (b.type === 'thinking' && typeof b.thinking !== 'string') throw invalid(`${at}.thinking.thinking: Field required`);
            if (b.type === 'tool_use') {
                if (typeof b.id !== 'string' || typeof b.name !== 'string') throw invalid(`${at}.tool_use.id: Field required`);
                if (!is_object(b.input)) throw invalid(`${at}.tool_use.input: Input should be a valid dictionary`);
            }
            if (b.type === 'tool_result') {
                if (!pending_tool_uses || !pending_tool_uses.has(b.tool_use_id)) {
                    throw invalid(`${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
                }
                results.add(b.tool_use_id);
            }
            if (b.type === 'image') {
                const s = b.source;
                if (s?.type === 'base64') {
                    if (!MEDIA_TYPES.has(s.media_type)) throw invalid(`${at}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
                    if (typeof s.data !== 'string' || !s.data) throw invalid(`${at}.image.source.base64.data: Field required`);
                    if (s.media_type === 'image/png' && !is_png_base64(s.data)) throw invalid(`${at}.image.source.base64.data: The image was specified using the image/png media type, but does not appear to be a valid png image`);
                } else if (s?.type === 'url') {
                    if (typeof s.url !== 'string') throw invalid(`${at}.image.source.url.url: Field required`);
                } else {
                    throw invalid(`${at}.image.source: Input tag '${s?.type}' found using 'type' does not match any of the expected tags: 'base64', 'file', 'url'`);
                }
            }
        });
        if (pending_tool_uses && pending_tool_uses.size) {
            const missing = [...pending_tool_uses].filter((id) => !results.has(id));
            if (m.role !== 'user' || missing.length) {
                throw invalid(`messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${(missing.length ? missing : [...pending_tool_uses]).join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
            }
        }
        pending_tool_uses = m.role === 'assistant' ? new Set(blocks.filter((b) => b.type === 'tool_use').map((b) => b.id)) : null;
    });
    const names = new Set();
    (body.tools ?? []).forEach((t, i) => {
        if (t.type && t.type !== 'custom') return;
        if (typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) throw invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
        if (!is_object(t.input_schema)) throw invalid(`tools.${i}.custom.input_schema: Field required`);
        if (t.input_schema.type !== 'object') throw invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
        for (const k of Object.keys(t)) {
            if (!['name', 'description', 'input_schema', 'type', 'cache_control', 'strict'].includes(k)) throw invalid(`tools.${i}.custom.${k}: Extra inputs are not permitted`);
        }
        names.add(t.name);
    });
    const choice = body.tool_choice;
    if (choice !== undefined) {
        if (!['auto', 'any', 'tool', 'none'].includes(choice?.type)) throw invalid(`tool_choice: Input tag '${choice?.type}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`);
        if (choice.type === 'tool' && !names.has(choice.name)) throw invalid(`tool_choice.tool.name: Tool '${choice.name}' not found in provided tools`);
    }
    const thinking = body.thinking;
    if (thinking !== undefined) {
        if (thinking?.type === 'enabled') {
            if (!Number.isInteger(thinking.budget_tokens)) throw invalid('thinking.enabled.budget_tokens: Field required');
            if (thinking.budget_tokens < 1024) throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
            if (thinking.budget_tokens >= body.max_tokens) throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
        } else if (thinking?.type !== 'disabled' && thinking?.type !== 'adaptive') {
            throw invalid(`thinking: Input tag '${thinking?.type}' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'`);
        }
        if (thinking.display !== undefined && !['summarized', 'omitted'].includes(thinking.display)) throw invalid("thinking.enabled.display: Input should be 'summarized' or 'omitted'");
        if (thinking.type !== 'disabled') {
            if (body.temperature !== undefined && body.temperature !== 1) throw invalid('`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking');
            if (choice?.type === 'any' || choice?.type === 'tool') throw invalid('Thinking may not be enabled when tool_choice forces tool use.');
        }
    }
    const format = body.output_config?.format;
    if (format !== undefined && (format?.type !== 'json_schema' || !is_object(format.schema))) throw invalid('output_config.format.schema: Field required');
}

/// Pads a JSON payload the way the API does (a run of spaces before the last `}`).
function padded(obj) {
    const text = JSON.stringify(obj);
    return text.slice(0, -1) + ' '.repeat(randomBytes(1)[0] % 16) + '}';
}

function signature() {
    return randomBytes(180).toString('base64');
}

function content_blocks(plan) {
    const blocks = [];
    if (plan.reasoning) blocks.push({ type: 'thinking', thinking: plan.reasoning_visible ? plan.reasoning.join('') : '', signature: signature() });
    if (plan.kind === 'tool_calls') {
        for (const c of plan.calls) blocks.push({ type: 'tool_use', id: random_id('toolu_01', 22), name: c.name, input: c.args, caller: { type: 'direct' } });
    } else {
        blocks.push({ type: 'text', text: text_of(plan) });
    }
    return blocks;
}

function usage_of(plan, output_tokens) {
    return {
        input_tokens: plan.usage.input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens,
        service_tier: 'standard',
        inference_geo: 'not_available',
    };
}

function stop_reason(plan) {
    return plan.kind === 'tool_calls' ? 'tool_use' : 'end_turn';
}

function message(plan, ids, blocks) {
    return {
        model: ids.model,
        id: ids.id,
        type: 'message',
        role: 'assistant',
        content: blocks,
        stop_reason: stop_reason(plan),
        stop_sequence: null,
        usage: usage_of(plan, plan.usage.output),
    };
}

function stream_frames(plan, ids, blocks) {
    const frames = [];
    const emit = (obj, pad = true) => frames.push(`event: ${obj.type}\ndata: ${pad ? padded(obj) : JSON.stringify(obj)}\n\n`);
    const start = message(plan, ids, []);
    emit({ type: 'message_start', message: { ...start, stop_reason: null, stop_sequence: null, stop_details: null, usage: usage_of(plan, 1) } });
    blocks.forEach((b, index) => {
        const delta = (d) => emit({ type: 'content_block_delta', index, delta: d });
        if (b.type === 'thinking') {
            emit({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
            if (index === 0) frames.push('event: ping\ndata: {"type": "ping"}\n\n');
            if (plan.reasoning_visible) for (const piece of plan.reasoning) delta({ type: 'thinking_delta', thinking: piece });
            delta({ type: 'thinking_delta', thinking: '' });
            delta({ type: 'signature_delta', signature: b.signature });
        } else if (b.type === 'tool_use') {
            emit({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {}, caller: b.caller } });
            if (index === 0) frames.push('event: ping\ndata: {"type": "ping"}\n\n');
            delta({ type: 'input_json_delta', partial_json: '' });
            for (const f of fragments(JSON.stringify(b.input), 9)) delta({ type: 'input_json_delta', partial_json: f });
        } else {
            emit({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
            if (index === 0) frames.push('event: ping\ndata: {"type": "ping"}\n\n');
            for (const piece of plan.pieces) delta({ type: 'text_delta', text: piece });
        }
        emit({ type: 'content_block_stop', index });
    });
    emit({
        type: 'message_delta',
        delta: { stop_reason: stop_reason(plan), stop_sequence: null, stop_details: null },
        usage: {
            input_tokens: plan.usage.input,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: plan.usage.output,
            ...(plan.reasoning ? { output_tokens_details: { thinking_tokens: plan.usage.reasoning } } : {}),
        },
    });
    emit({ type: 'message_stop' });
    return frames;
}

function scripted_failure(status) {
    if (status === 429) {
        const e = anthropic_error(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization of 30,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.');
        e.headers['retry-after'] = '1';
        return e;
    }
    return invalid('prompt is too long: 210000 tokens > 200000 maximum');
}

/// models: {name: {version}}.
export function start_anthropic_messages({ key, models }) {
    return start_upstream({
        name: 'anthropic_messages',
        async handle(ex) {
            if (ex.method !== 'POST' || ex.path !== '/v1/messages') throw anthropic_error(404, 'not_found_error', 'Not Found');
            if (ex.headers['x-api-key'] !== key) throw anthropic_error(401, 'authentication_error', 'invalid x-api-key');
            const body = parse_json(ex.raw, () => invalid('There was an error parsing the body of your request. Please make sure it is valid JSON.'));
            ex.record.body = body;
            if (!is_object(body)) throw invalid('Input should be a valid dictionary');
            validate(body, ex.headers);
            const model = models[body.model];
            if (!model) throw anthropic_error(404, 'not_found_error', `model: ${body.model}`);
            const plan = plan_answer((ex.record.view = view(body)));
            ex.record.plan = plan;
            if (plan.kind === 'error') throw scripted_failure(plan.status);
            const ids = { id: random_id('msg_01', 22), model: model.version };
            const blocks = content_blocks(plan);
            const headers = { 'request-id': random_id('req_011C', 20), 'anthropic-organization-id': 'e2e00000-0000-4000-8000-000000000000' };
            if (body.stream === true) await ex.reply.events(200, stream_frames(plan, ids, blocks), headers);
            else ex.reply.json(200, JSON.stringify(message(plan, ids, blocks)), headers);
        },
    });
}
