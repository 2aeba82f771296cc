// A strict loopback OpenAI Responses upstream (`POST /v1/responses`).
// Wire layout modelled on tests/fixtures/sdk/openai_responses/: `event: <type>\ndata: <json>\n\n`
// frames whose JSON `type` is the event name and which all carry an increasing
// `sequence_number`; `response.created` → `response.in_progress` → per output item
// `output_item.added` … `output_item.done` (reasoning items with summary parts, message items
// with content parts, function calls with argument deltas) → `response.completed` with the
// usage. No `[DONE]`.

import { hex_id, is_object, is_png_base64, obfuscation, parse_data_url, random_id, strict_schema_problem, text_of, unix_now } from './common.mjs';
import { TOOL_NAME, bad_request, fragments, openai_headers, start_openai_api } from './openai_common.mjs';

// CreateResponse in OpenAI's OpenAPI spec (v2.3.0).
const KNOWN_PARAMS = new Set([
    'background', 'context_management', 'conversation', 'include', 'input', 'instructions',
    'max_output_tokens', 'max_tool_calls', 'metadata', 'model', 'moderation', 'parallel_tool_calls',
    'previous_response_id', 'prompt', 'prompt_cache_key', 'prompt_cache_options',
    'prompt_cache_retention', 'reasoning', 'safety_identifier', 'service_tier', 'store', 'stream',
    'stream_options', 'temperature', 'text', 'tool_choice', 'tools', 'top_logprobs', 'top_p',
    'truncation', 'user',
]);

const INCLUDABLE = new Set([
    'web_search_call.action.sources', 'code_interpreter_call.outputs', 'computer_call_output.output.image_url',
    'file_search_call.results', 'message.input_image.image_url', 'message.output_text.logprobs', 'reasoning.encrypted_content',
]);

function parts_of(content) {
    if (typeof content === 'string') return [{ type: 'text', text: content }];
    return (content ?? []).map((p) => {
        if (p.type === 'input_text' || p.type === 'output_text') return { type: 'text', text: p.text };
        if (p.type === 'input_image') {
            const data = parse_data_url(p.image_url);
            return data ? { type: 'image', mime: data.mime, data: data.data } : { type: 'image', url: p.image_url };
        }
        return { type: p.type };
    });
}

/// The neutral view of a Responses request (see common.mjs).
export function view(body) {
    const system = [];
    if (typeof body.instructions === 'string') system.push(body.instructions);
    const turns = [];
    const push = (role, part) => {
        const last = turns[turns.length - 1];
        if (last && last.role === role && role !== 'user') last.parts.push(part);
        else turns.push({ role, parts: [part] });
    };
    const items = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? []);
    for (const item of items) {
        const type = item.type ?? 'message';
        if (type === 'message') {
            if (item.role === 'system' || item.role === 'developer') {
                system.push(parts_of(item.content).map((p) => p.text).join(''));
            } else {
                turns.push({ role: item.role, parts: parts_of(item.content) });
            }
        } else if (type === 'function_call') {
            let args;
            try {
                args = JSON.parse(item.arguments);
            } catch {
                args = item.arguments;
            }
            push('assistant', { type: 'tool_call', id: item.call_id, name: item.name, args });
        } else if (type === 'function_call_output') {
            push('tool', { type: 'tool_result', id: item.call_id, output: item.output });
        } else if (type === 'reasoning') {
            push('assistant', { type: 'reasoning', text: (item.summary ?? []).map((s) => s.text).join(''), signature: item.encrypted_content });
        }
    }
    const tools = (body.tools ?? []).filter((t) => t.type === 'function').map((t) => ({ name: t.name, description: t.description, schema: t.parameters }));
    const choice = body.tool_choice;
    const format = body.text?.format;
    let structured = null;
    if (format?.type === 'json_schema') structured = { name: format.name, schema: format.schema };
    else if (format?.type === 'json_object') structured = { schema: { type: 'object' } };
    const r = body.reasoning;
    const asked = is_object(r) && r.effort !== 'none';
    return {
        model: body.model,
        stream: body.stream === true,
        max_tokens: body.max_output_tokens ?? null,
        temperature: body.temperature ?? null,
        system: system.length ? system.join('\n') : null,
        turns,
        tools,
        tool_choice: typeof choice === 'string' ? choice : choice ? 'function' : null,
        forced_tool: choice?.type === 'function' ? choice.name : null,
        structured,
        reasoning: { asked, visible: asked && typeof r.summary === 'string', effort: r?.effort ?? null },
    };
}

function validate(body, model) {
    for (const key of Object.keys(body)) {
        if (!KNOWN_PARAMS.has(key)) throw bad_request(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
    }
    if (model.reasoning) {
        for (const p of ['temperature', 'top_p']) {
            if (body[p] !== undefined) throw bad_request(`Unsupported parameter: '${p}' is not supported with this model.`, p);
        }
    }
    if (body.input === undefined) throw bad_request("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    if (typeof body.input !== 'string' && !Array.isArray(body.input)) {
        throw bad_request("Invalid type for 'input': expected one of a string or an array of input items.", 'input', 'invalid_type');
    }
    const calls = new Set();
    (Array.isArray(body.input) ? body.input : []).forEach((item, i) => {
        const type = item?.type ?? 'message';
        const at = `input[${i}]`;
        if (type === 'message') {
            if (!['user', 'assistant', 'system', 'developer'].includes(item.role)) {
                throw bad_request(`Invalid value: '${item.role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `${at}.role`, 'invalid_value');
            }
            if (Array.isArray(item.content)) {
                const allowed = item.role === 'assistant' ? ['output_text', 'refusal'] : ['input_text', 'input_image', 'input_file'];
                item.content.forEach((p, j) => {
                    if (!allowed.includes(p?.type)) {
                        throw bad_request(`Invalid value: '${p?.type}'. Supported values are: ${allowed.map((t) => `'${t}'`).join(' and ')}.`, `${at}.content[${j}]`, 'invalid_value');
                    }
                    if (p.type === 'input_image') {
                        if (typeof p.image_url !== 'string' && typeof p.file_id !== 'string') {
                            throw bad_request(`Missing required parameter: '${at}.content[${j}].image_url'.`, `${at}.content[${j}].image_url`, 'missing_required_parameter');
                        }
                        if (p.detail !== undefined && !['low', 'high', 'auto', 'original'].includes(p.detail)) {
                            throw bad_request(`Invalid value: '${p.detail}'. Supported values are: 'low', 'high', 'auto', and 'original'.`, `${at}.content[${j}].detail`, 'invalid_value');
                        }
                        const data = parse_data_url(p.image_url);
                        if (p.image_url?.startsWith('data:') && (!data || !is_png_base64(data.data))) {
                            throw bad_request('The image data you provided does not represent a valid image. Please check your input and try again with one of the supported image formats: image/jpeg, image/png, image/gif, image/webp.', `${at}.content[${j}].image_url`, 'invalid_value');
                        }
                    }
                    if ((p.type === 'input_text' || p.type === 'output_text') && typeof p.text !== 'string') {
                        throw bad_request(`Missing required parameter: '${at}.content[${j}].text'.`, `${at}.content[${j}].text`, 'missing_required_parameter');
                    }
                });
            } else if (typeof item.content !== 'string') {
                throw bad_request(`Missing required parameter: '${at}.content'.`, `${at}.content`, 'missing_required_parameter');
            }
        } else if (type === 'function_call') {
            for (const f of ['call_id', 'name', 'arguments']) {
                if (typeof item[f] !== 'string') throw bad_request(`Missing required parameter: '${at}.${f}'.`, `${at}.${f}`, 'missing_required_parameter');
            }
            if (item.id !== undefined && !String(item.id).startsWith('fc')) {
                throw bad_request(`Invalid '${at}.id': '${item.id}'. Expected an ID that begins with 'fc'.`, `${at}.id`, 'invalid_value');
            }
            calls.add(item.call_id);
        } else if (type === 'function_call_output') {
            if (typeof item.call_id !== 'string') throw bad_request(`Missing required parameter: '${at}.call_id'.`, `${at}.call_id`, 'missing_required_parameter');
            if (typeof item.output !== 'string' && !Array.isArray(item.output)) throw bad_request(`Missing required parameter: '${at}.output'.`, `${at}.output`, 'missing_required_parameter');
            if (!calls.has(item.call_id)) throw bad_request(`No tool call found for function call output with call_id ${item.call_id}.`, 'input');
        } else if (type === 'reasoning') {
            if (!Array.isArray(item.summary)) throw bad_request(`Missing required parameter: '${at}.summary'.`, `${at}.summary`, 'missing_required_parameter');
            if (item.id !== undefined && !String(item.id).startsWith('rs')) {
                throw bad_request(`Invalid '${at}.id': '${item.id}'. Expected an ID that begins with 'rs'.`, `${at}.id`, 'invalid_value');
            }
        } else {
            throw bad_request(`Invalid value: '${type}'. Supported values are: 'message', 'function_call', 'function_call_output', 'reasoning' and others.`, `${at}.type`, 'invalid_value');
        }
    });
    if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
        throw bad_request("Invalid type for 'instructions': expected a string.", 'instructions', 'invalid_type');
    }
    (body.tools ?? []).forEach((t, i) => {
        if (t?.type !== 'function') return;
        if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) {
            throw bad_request(`Invalid 'tools[${i}].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `tools[${i}].name`, 'invalid_value');
        }
        if (t.parameters !== undefined && t.parameters !== null && !is_object(t.parameters)) {
            throw bad_request(`Invalid type for 'tools[${i}].parameters': expected an object.`, `tools[${i}].parameters`, 'invalid_type');
        }
        if (t.strict === true) {
            const problem = strict_schema_problem(t.parameters);
            if (problem) throw bad_request(`Invalid schema for function '${t.name}': ${problem}`, `tools[${i}].parameters`, 'invalid_function_parameters');
        }
    });
    const c = body.tool_choice;
    if (c !== undefined && !['none', 'auto', 'required'].includes(c)) {
        if (c?.type !== 'function' || !(body.tools ?? []).some((t) => t.name === c.name)) {
            throw bad_request(`Tool choice '${c?.name ?? c?.type}' not found in 'tools' parameter.`, 'tool_choice');
        }
    }
    const f = body.text?.format;
    if (f !== undefined) {
        if (!['text', 'json_schema', 'json_object'].includes(f?.type)) throw bad_request(`Invalid value: '${f?.type}'. Supported values are: 'text', 'json_schema', and 'json_object'.`, 'text.format.type', 'invalid_value');
        if (f.type === 'json_schema') {
            if (typeof f.name !== 'string') throw bad_request("Missing required parameter: 'text.format.name'.", 'text.format.name', 'missing_required_parameter');
            if (!is_object(f.schema)) throw bad_request("Missing required parameter: 'text.format.schema'.", 'text.format.schema', 'missing_required_parameter');
            if (f.strict === true) {
                const problem = strict_schema_problem(f.schema);
                if (problem) throw bad_request(`Invalid schema for response_format '${f.name}': ${problem}`, 'text.format.schema', 'invalid_json_schema');
            }
        }
    }
    const r = body.reasoning;
    if (r !== undefined && r !== null) {
        if (!model.reasoning) throw bad_request("Unsupported parameter: 'reasoning.effort' is not supported with this model.", 'reasoning.effort', 'unsupported_parameter');
        if (r.effort !== undefined && r.effort !== null && !['minimal', 'low', 'medium', 'high'].includes(r.effort)) {
            throw bad_request(`Invalid value: '${r.effort}'. Supported values are: 'minimal', 'low', 'medium', and 'high'.`, 'reasoning.effort', 'invalid_value');
        }
        if (r.summary !== undefined && r.summary !== null && !['auto', 'concise', 'detailed'].includes(r.summary)) {
            throw bad_request(`Invalid value: '${r.summary}'. Supported values are: 'auto', 'concise', and 'detailed'.`, 'reasoning.summary', 'invalid_value');
        }
    }
    for (const inc of body.include ?? []) {
        if (!INCLUDABLE.has(inc)) throw bad_request(`Invalid value: '${inc}'.`, 'include', 'invalid_value');
    }
    if (body.stream_options != null && body.stream !== true) {
        throw bad_request("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
    }
}

/// Output items of the answer, complete (as in `response.completed`).
function output_items(plan, body) {
    const items = [];
    if (plan.reasoning) {
        const item = { id: hex_id('rs_', 25), type: 'reasoning' };
        if ((body.include ?? []).includes('reasoning.encrypted_content')) item.encrypted_content = 'gAAAAAB' + Buffer.from(hex_id('', 90)).toString('base64url');
        item.summary = plan.reasoning_visible ? [{ type: 'summary_text', text: plan.reasoning.join('') }] : [];
        items.push(item);
    }
    if (plan.kind === 'tool_calls') {
        for (const c of plan.calls) {
            items.push({ type: 'function_call', id: hex_id('fc_', 25), call_id: random_id('call_', 24), name: c.name, arguments: JSON.stringify(c.args), status: 'completed' });
        }
    } else {
        items.push({
            id: hex_id('msg_', 25),
            type: 'message',
            status: 'completed',
            content: [{ type: 'output_text', annotations: [], logprobs: [], text: text_of(plan) }],
            role: 'assistant',
        });
    }
    return items;
}

function response_object(body, model, ids, status, output, usage) {
    const tools = (body.tools ?? []).map((t) => (t.type === 'function' ? { type: 'function', description: t.description ?? null, name: t.name, parameters: t.parameters ?? null, strict: t.strict ?? true } : t));
    return {
        id: ids.id,
        object: 'response',
        created_at: ids.created,
        status,
        background: false,
        ...(status === 'completed' && !ids.stream ? { billing: { payer: 'developer' } } : {}),
        error: null,
        incomplete_details: null,
        instructions: body.instructions ?? null,
        max_output_tokens: body.max_output_tokens ?? null,
        max_tool_calls: null,
        model: model.version,
        output,
        parallel_tool_calls: body.parallel_tool_calls ?? true,
        previous_response_id: null,
        prompt_cache_key: null,
        prompt_cache_retention: null,
        reasoning: { effort: body.reasoning?.effort ?? (model.reasoning ? 'medium' : null), summary: body.reasoning?.summary ?? null },
        safety_identifier: null,
        service_tier: 'default',
        store: body.store ?? true,
        temperature: 1.0,
        text: { format: body.text?.format ?? { type: 'text' }, verbosity: 'medium' },
        tool_choice: body.tool_choice ?? 'auto',
        tools,
        top_logprobs: 0,
        top_p: 1.0,
        truncation: 'disabled',
        usage,
        user: null,
        metadata: body.metadata ?? {},
    };
}

function usage_of(plan) {
    return {
        input_tokens: plan.usage.input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: plan.usage.output,
        output_tokens_details: { reasoning_tokens: plan.usage.reasoning },
        total_tokens: plan.usage.input + plan.usage.output,
    };
}

function stream_frames(body, model, ids, plan, items) {
    const frames = [];
    let seq = 0;
    const emit = (type, fields) => {
        const event = { type, ...fields, sequence_number: seq++ };
        frames.push(`event: ${type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const pending = response_object(body, model, ids, 'in_progress', [], null);
    emit('response.created', { response: pending });
    emit('response.in_progress', { response: pending });
    items.forEach((item, output_index) => {
        if (item.type === 'reasoning') {
            const added = { ...item, summary: [] };
            emit('response.output_item.added', { item: added, output_index });
            item.summary.forEach((s, summary_index) => {
                emit('response.reasoning_summary_part.added', { item_id: item.id, output_index, part: { type: 'summary_text', text: '' }, summary_index });
                for (const piece of plan.reasoning) {
                    emit('response.reasoning_summary_text.delta', { delta: piece, item_id: item.id, obfuscation: obfuscation(), output_index, summary_index });
                }
                emit('response.reasoning_summary_text.done', { item_id: item.id, output_index, summary_index, text: s.text });
                emit('response.reasoning_summary_part.done', { item_id: item.id, output_index, part: { type: 'summary_text', text: s.text }, summary_index });
            });
            emit('response.output_item.done', { item, output_index });
        } else if (item.type === 'function_call') {
            emit('response.output_item.added', { item: { ...item, arguments: '', status: 'in_progress' }, output_index });
            for (const f of fragments(item.arguments)) {
                emit('response.function_call_arguments.delta', { delta: f, item_id: item.id, obfuscation: obfuscation(), output_index });
            }
            emit('response.function_call_arguments.done', { arguments: item.arguments, item_id: item.id, output_index });
            emit('response.output_item.done', { item, output_index });
        } else {
            emit('response.output_item.added', { item: { ...item, status: 'in_progress', content: [] }, output_index });
            const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
            emit('response.content_part.added', { content_index: 0, item_id: item.id, output_index, part });
            for (const piece of plan.pieces) {
                emit('response.output_text.delta', { content_index: 0, delta: piece, item_id: item.id, logprobs: [], obfuscation: obfuscation(), output_index });
            }
            const text = item.content[0].text;
            emit('response.output_text.done', { content_index: 0, item_id: item.id, logprobs: [], output_index, text });
            emit('response.content_part.done', { content_index: 0, item_id: item.id, output_index, part: { ...part, text } });
            emit('response.output_item.done', { item, output_index });
        }
    });
    emit('response.completed', { response: response_object(body, model, ids, 'completed', items, usage_of(plan)) });
    return frames;
}

/// models: {name: {version, reasoning}}.
export function start_openai_responses({ key, models }) {
    return start_openai_api({
        name: 'openai_responses',
        api_path: '/v1/responses',
        key,
        models,
        validate,
        view,
        async answer(ex, body, model, plan) {
            const ids = { id: hex_id('resp_', 25), created: unix_now(), stream: body.stream === true };
            const items = output_items(plan, body);
            if (body.stream === true) {
                await ex.reply.events(200, stream_frames(body, model, ids, plan, items), openai_headers());
            } else {
                ex.reply.json(200, JSON.stringify(response_object(body, model, ids, 'completed', items, usage_of(plan)), null, 2), openai_headers());
            }
        },
    });
}
