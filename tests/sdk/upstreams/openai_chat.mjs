// A strict loopback OpenAI Chat Completions upstream (`POST /v1/chat/completions`).
// Wire layout modelled on tests/fixtures/sdk/openai_chat/ (see the README there): pretty-printed
// `chat.completion` bodies; `data: <chunk>\n\n` streams with a role chunk, content deltas, an
// empty-delta finish chunk, the `choices:[]` usage chunk when `stream_options.include_usage`
// (and `"usage":null` in every chunk before it), `obfuscation` padding, `data: [DONE]`.
// Reasoning text, which OpenAI itself never sends on this API, comes as `reasoning_content`
// the way OpenAI-compatible reasoning servers (DeepSeek, xAI) send it.

import { hex_id, is_object, is_png_base64, obfuscation, parse_data_url, random_id, strict_schema_problem, text_of, unix_now } from './common.mjs';
import { TOOL_NAME, bad_request, fragments, openai_headers, start_openai_api } from './openai_common.mjs';

// CreateChatCompletionRequest in OpenAI's OpenAPI spec (v2.3.0).
const KNOWN_PARAMS = new Set([
    'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs',
    'max_completion_tokens', 'max_tokens', 'messages', 'metadata', 'modalities', 'model',
    'moderation', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key',
    'prompt_cache_options', 'prompt_cache_retention', 'reasoning_effort', 'response_format',
    'safety_identifier', 'seed', 'service_tier', 'stop', 'store', 'stream', 'stream_options',
    'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user', 'verbosity',
    'web_search_options',
]);

const PART_TYPES = {
    system: ['text'],
    developer: ['text'],
    user: ['text', 'image_url', 'input_audio', 'file'],
    assistant: ['text', 'refusal'],
    tool: ['text'],
};

function content_parts(content) {
    if (typeof content === 'string') return [{ type: 'text', text: content }];
    if (!Array.isArray(content)) return [];
    return content.map((p) => {
        if (p.type === 'text') return { type: 'text', text: p.text };
        if (p.type === 'image_url') {
            const url = p.image_url?.url;
            const data = parse_data_url(url);
            return data ? { type: 'image', mime: data.mime, data: data.data } : { type: 'image', url };
        }
        return { type: p.type };
    });
}

/// The neutral view of a Chat Completions request (see common.mjs).
export function view(body) {
    const system = [];
    const turns = [];
    for (const m of body.messages ?? []) {
        if (m.role === 'system' || m.role === 'developer') {
            system.push(content_parts(m.content).map((p) => p.text).join(''));
        } else if (m.role === 'tool') {
            const output = typeof m.content === 'string' ? m.content : content_parts(m.content).map((p) => p.text).join('');
            turns.push({ role: 'tool', parts: [{ type: 'tool_result', id: m.tool_call_id, output }] });
        } else {
            const parts = m.content == null ? [] : content_parts(m.content);
            if (m.reasoning_content) parts.unshift({ type: 'reasoning', text: m.reasoning_content });
            for (const c of m.tool_calls ?? []) {
                let args;
                try {
                    args = JSON.parse(c.function?.arguments ?? '');
                } catch {
                    args = c.function?.arguments;
                }
                parts.push({ type: 'tool_call', id: c.id, name: c.function?.name, args });
            }
            turns.push({ role: m.role, parts });
        }
    }
    const tools = (body.tools ?? []).map((t) => ({ name: t.function?.name, description: t.function?.description, schema: t.function?.parameters }));
    const choice = body.tool_choice;
    let structured = null;
    if (body.response_format?.type === 'json_schema') {
        structured = { name: body.response_format.json_schema?.name, schema: body.response_format.json_schema?.schema };
    } else if (body.response_format?.type === 'json_object') {
        structured = { schema: { type: 'object' } };
    }
    const asked = typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none';
    return {
        model: body.model,
        stream: body.stream === true,
        max_tokens: body.max_completion_tokens ?? body.max_tokens ?? null,
        temperature: body.temperature ?? null,
        system: system.length ? system.join('\n') : null,
        turns,
        tools,
        tool_choice: typeof choice === 'string' ? choice : choice ? 'function' : null,
        forced_tool: is_object(choice) ? choice.function?.name : null,
        structured,
        reasoning: { asked, visible: asked, effort: body.reasoning_effort ?? null },
    };
}

function validate(body, model) {
    for (const key of Object.keys(body)) {
        if (!KNOWN_PARAMS.has(key)) throw bad_request(`Unrecognized request argument supplied: ${key}`);
    }
    if (!Array.isArray(body.messages)) throw bad_request("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
    if (body.messages.length === 0) {
        throw bad_request("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
    }
    let open = null; // tool_call ids of the last assistant message still waiting for tool messages
    body.messages.forEach((m, i) => {
        if (!is_object(m) || !(m.role in PART_TYPES)) {
            throw bad_request(`Invalid value: '${m?.role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, `messages[${i}].role`, 'invalid_value');
        }
        if (open && m.role !== 'tool' && open.size) {
            throw bad_request(
                `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
                `messages.[${i}].role`,
            );
        }
        if (m.role === 'tool') {
            if (!open || !open.has(m.tool_call_id)) {
                throw bad_request("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
            }
            open.delete(m.tool_call_id);
        } else {
            open = null;
        }
        if (Array.isArray(m.content)) {
            m.content.forEach((p, j) => {
                if (!PART_TYPES[m.role].includes(p?.type)) {
                    throw bad_request(
                        `Invalid value: '${p?.type}'. Supported values are: ${PART_TYPES[m.role].map((t) => `'${t}'`).join(' and ')}.`,
                        `messages[${i}].content[${j}].type`,
                        'invalid_value',
                    );
                }
                if (p.type === 'text' && typeof p.text !== 'string') throw bad_request(`Missing required parameter: 'messages[${i}].content[${j}].text'.`, `messages[${i}].content[${j}].text`, 'missing_required_parameter');
                if (p.type === 'image_url') {
                    const url = p.image_url?.url;
                    if (typeof url !== 'string') throw bad_request(`Missing required parameter: 'messages[${i}].content[${j}].image_url.url'.`, `messages[${i}].content[${j}].image_url.url`, 'missing_required_parameter');
                    const data = parse_data_url(url);
                    if (url.startsWith('data:') && (!data || !is_png_base64(data.data))) {
                        throw bad_request('You uploaded an unsupported image. Please make sure your image is valid.', null, 'invalid_image_format');
                    }
                }
            });
        } else if (m.content != null && typeof m.content !== 'string') {
            throw bad_request(`Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got an object instead.`, `messages[${i}].content`, 'invalid_type');
        } else if (m.content == null && !(m.role === 'assistant' && m.tool_calls)) {
            throw bad_request(`Invalid value for 'content': expected a string, got null.`, `messages.[${i}].content`);
        }
        if (m.role === 'assistant' && m.tool_calls) {
            open = new Set();
            m.tool_calls.forEach((c, j) => {
                if (c?.type !== 'function' || typeof c.id !== 'string' || typeof c.function?.name !== 'string' || typeof c.function?.arguments !== 'string') {
                    throw bad_request(`Missing required parameter: 'messages[${i}].tool_calls[${j}].function'.`, `messages[${i}].tool_calls[${j}].function`, 'missing_required_parameter');
                }
                open.add(c.id);
            });
        }
    });
    if (open && open.size) {
        throw bad_request(
            `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
            'messages',
        );
    }
    if (body.tools !== undefined) {
        if (!Array.isArray(body.tools)) throw bad_request("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
        body.tools.forEach((t, i) => {
            if (t?.type !== 'function') throw bad_request(`Invalid value: '${t?.type}'. Supported values are: 'function' and 'custom'.`, `tools[${i}].type`, 'invalid_value');
            const name = t.function?.name;
            if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
                throw bad_request(`Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `tools[${i}].function.name`, 'invalid_value');
            }
            const params = t.function.parameters;
            if (params !== undefined && !is_object(params)) throw bad_request(`Invalid type for 'tools[${i}].function.parameters': expected an object.`, `tools[${i}].function.parameters`, 'invalid_type');
            if (t.function.strict === true) {
                const problem = strict_schema_problem(params);
                if (problem) throw bad_request(`Invalid schema for function '${name}': ${problem}`, `tools[${i}].function.parameters`, 'invalid_function_parameters');
            }
        });
    }
    if (body.tool_choice !== undefined) {
        if (!body.tools?.length) throw bad_request("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
        const c = body.tool_choice;
        const ok = ['none', 'auto', 'required'].includes(c) || (c?.type === 'function' && body.tools.some((t) => t.function.name === c.function?.name));
        if (!ok) throw bad_request("Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a function the request defines.", 'tool_choice', 'invalid_value');
    }
    const rf = body.response_format;
    if (rf !== undefined) {
        if (!['text', 'json_object', 'json_schema'].includes(rf?.type)) throw bad_request(`Invalid value: '${rf?.type}'. Supported values are: 'text', 'json_object', and 'json_schema'.`, 'response_format.type', 'invalid_value');
        if (rf.type === 'json_schema') {
            if (typeof rf.json_schema?.name !== 'string') throw bad_request("Missing required parameter: 'response_format.json_schema.name'.", 'response_format.json_schema.name', 'missing_required_parameter');
            if (rf.json_schema.strict === true) {
                const problem = strict_schema_problem(rf.json_schema.schema);
                if (problem) throw bad_request(`Invalid schema for response_format '${rf.json_schema.name}': ${problem}`, 'response_format', 'invalid_json_schema');
            }
        }
    }
    if (body.stream_options != null && body.stream !== true) {
        throw bad_request("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
    }
    // Rules of the models themselves ("Reasoning models" guide).
    if (model.reasoning) {
        if (body.max_tokens !== undefined) {
            throw bad_request("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'max_tokens', 'unsupported_parameter');
        }
        if (body.temperature !== undefined && body.temperature !== 1) {
            throw bad_request(`Unsupported value: 'temperature' does not support ${body.temperature} with this model. Only the default (1) value is supported.`, 'temperature', 'unsupported_value');
        }
        if (body.reasoning_effort !== undefined && !['low', 'medium', 'high'].includes(body.reasoning_effort)) {
            throw bad_request(`Unsupported value: 'reasoning_effort' does not support '${body.reasoning_effort}' with this model. Supported values are: 'low', 'medium', and 'high'.`, 'reasoning_effort', 'unsupported_value');
        }
    } else if (body.reasoning_effort !== undefined) {
        throw bad_request("Unsupported parameter: 'reasoning_effort' is not supported with this model.", 'reasoning_effort', 'unsupported_parameter');
    }
}

function usage_of(plan) {
    return {
        prompt_tokens: plan.usage.input,
        completion_tokens: plan.usage.output,
        total_tokens: plan.usage.input + plan.usage.output,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: plan.usage.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
}

function tool_calls_of(plan) {
    return plan.calls.map((c) => ({ id: random_id('call_', 24), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } }));
}

function completion(plan, ids, calls) {
    const message = { role: 'assistant', content: plan.kind === 'text' ? text_of(plan) : null };
    if (plan.reasoning_visible) message.reasoning_content = plan.reasoning.join('');
    if (calls) message.tool_calls = calls;
    message.refusal = null;
    message.annotations = [];
    return {
        id: ids.id,
        object: 'chat.completion',
        created: ids.created,
        model: ids.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: calls ? 'tool_calls' : 'stop' }],
        usage: usage_of(plan),
        service_tier: 'default',
        system_fingerprint: ids.fingerprint,
    };
}

function stream_frames(plan, ids, calls, include_usage) {
    const chunks = [];
    const head = (choices) => ({
        id: ids.id,
        object: 'chat.completion.chunk',
        created: ids.created,
        model: ids.model,
        service_tier: 'default',
        system_fingerprint: ids.fingerprint,
        choices,
    });
    const chunk = (delta, finish_reason = null) => {
        const c = head([{ index: 0, delta, logprobs: null, finish_reason }]);
        if (include_usage) c.usage = null;
        c.obfuscation = obfuscation();
        chunks.push(c);
    };
    chunk(calls ? { role: 'assistant', content: null } : { role: 'assistant', content: '', refusal: null });
    if (plan.reasoning_visible) for (const piece of plan.reasoning) chunk({ reasoning_content: piece });
    if (calls) {
        calls.forEach((c, index) => {
            chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] });
            for (const f of fragments(c.function.arguments)) chunk({ tool_calls: [{ index, function: { arguments: f } }] });
        });
    } else {
        for (const piece of plan.pieces) chunk({ content: piece });
    }
    chunk({}, calls ? 'tool_calls' : 'stop');
    if (include_usage) {
        chunks.push({ ...head([]), usage: usage_of(plan), obfuscation: '' });
    }
    return [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'];
}

/// models: {name: {version, reasoning}}.
export function start_openai_chat({ key, models }) {
    return start_openai_api({
        name: 'openai_chat',
        api_path: '/v1/chat/completions',
        key,
        models,
        validate,
        view,
        async answer(ex, body, model, plan) {
            const ids = { id: random_id('chatcmpl-', 29), created: unix_now(), model: model.version, fingerprint: hex_id('fp_', 5) };
            const calls = plan.kind === 'tool_calls' ? tool_calls_of(plan) : null;
            if (body.stream === true) {
                await ex.reply.events(200, stream_frames(plan, ids, calls, body.stream_options?.include_usage === true), openai_headers());
            } else {
                ex.reply.json(200, JSON.stringify(completion(plan, ids, calls), null, 2), openai_headers());
            }
        },
    });
}
