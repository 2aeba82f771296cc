// A strict loopback Gemini API upstream: `POST /v1beta/models/{model}:generateContent` and
// `:streamGenerateContent` (`?alt=sse`: `data: <json>\r\n\r\n` frames; without it one JSON
// array), key in `x-goog-api-key` (or `?key=`). Wire layout modelled on
// tests/fixtures/sdk/gemini/: every chunk a complete GenerateContentResponse with a
// `usageMetadata` snapshot, `finishReason` only on the last chunk, `": "` after keys and no
// space after commas; non-stream bodies pretty-printed.
//
// Field names are checked the way the API's proto JSON parser does: both lowerCamelCase and
// snake_case are accepted, anything else is "Unknown name … Cannot find field." — which is
// what the API answers to `messages`, `max_tokens` or `temperature` at the top level and to JSON
// Schema keywords such as `additionalProperties` inside `parameters` / `responseSchema` (the
// OpenAPI subset; `parametersJsonSchema` / `responseJsonSchema` take full JSON Schema).

import { http_error, is_object, is_png_base64, plan_answer, random_id, start_upstream } from './common.mjs';

const FIELDS = {
    request: ['contents', 'systemInstruction', 'tools', 'toolConfig', 'safetySettings', 'generationConfig', 'cachedContent', 'model'],
    content: ['parts', 'role'],
    part: ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult', 'thought', 'thoughtSignature', 'videoMetadata'],
    blob: ['mimeType', 'data'],
    file_data: ['mimeType', 'fileUri'],
    function_call: ['id', 'name', 'args'],
    function_response: ['id', 'name', 'response', 'willContinue', 'scheduling'],
    tool: ['functionDeclarations', 'codeExecution', 'googleSearch', 'googleSearchRetrieval', 'urlContext'],
    function_declaration: ['name', 'description', 'behavior', 'parameters', 'parametersJsonSchema', 'response', 'responseJsonSchema'],
    tool_config: ['functionCallingConfig'],
    function_calling_config: ['mode', 'allowedFunctionNames'],
    generation_config: [
        'candidateCount', 'enableEnhancedCivicAnswers', 'frequencyPenalty', 'logprobs', 'maxOutputTokens', 'mediaResolution',
        'presencePenalty', 'responseJsonSchema', 'responseLogprobs', 'responseMimeType', 'responseModalities', 'responseSchema',
        'seed', 'speechConfig', 'stopSequences', 'temperature', 'thinkingConfig', 'topK', 'topP',
    ],
    thinking_config: ['includeThoughts', 'thinkingBudget', 'thinkingLevel'],
    schema: [
        'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
        'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
        'default', 'items', 'minimum', 'maximum',
    ],
    safety_setting: ['category', 'threshold'],
};
const SCHEMA_TYPES = ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'];

const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

function gemini_error(status, message, status_text, details) {
    const error = { code: status, message, status: status_text };
    if (details) error.details = details;
    return new http_error(status, JSON.stringify({ error }, null, 2) + '\n', { 'content-type': 'application/json; charset=UTF-8' });
}

function invalid(message) {
    return gemini_error(400, message, 'INVALID_ARGUMENT');
}

function unknown_field(name, path) {
    const where = path ? ` at '${path}'` : '';
    const message = `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`;
    return gemini_error(400, message, 'INVALID_ARGUMENT', [
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: path || undefined, description: message }] },
    ]);
}

/// A copy of a proto message with its field names in lowerCamelCase; unknown names are refused.
function message_of(obj, kind, path) {
    if (!is_object(obj)) throw invalid(`Invalid value at '${path || 'body'}', expected an object.`);
    const out = {};
    for (const [k, v] of Object.entries(obj)) {
        const name = camel(k);
        if (!FIELDS[kind].includes(name)) throw unknown_field(k, path);
        out[name] = v;
    }
    return out;
}

/// Checks an OpenAPI-subset Schema (`parameters`, `responseSchema`) recursively.
function check_schema(schema, path) {
    const s = message_of(schema, 'schema', path);
    if (s.type !== undefined && !SCHEMA_TYPES.includes(String(s.type).toUpperCase())) {
        throw invalid(`Invalid value at '${path}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${s.type}"`);
    }
    for (const [k, v] of Object.entries(s.properties ?? {})) check_schema(v, `${path}.properties[${k}].value`);
    if (s.items !== undefined) check_schema(s.items, `${path}.items`);
    (s.anyOf ?? []).forEach((v, i) => check_schema(v, `${path}.any_of[${i}]`));
}

/// The request with every proto message normalized to lowerCamelCase (payloads kept as sent).
function normalize(body) {
    const req = message_of(body, 'request', '');
    const content = (c, path) => {
        const n = message_of(c, 'content', path);
        n.parts = (n.parts ?? []).map((p, j) => {
            const at = `${path}.parts[${j}]`;
            const q = message_of(p, 'part', at);
            if (q.inlineData) q.inlineData = message_of(q.inlineData, 'blob', `${at}.inline_data`);
            if (q.fileData) q.fileData = message_of(q.fileData, 'file_data', `${at}.file_data`);
            if (q.functionCall) q.functionCall = message_of(q.functionCall, 'function_call', `${at}.function_call`);
            if (q.functionResponse) q.functionResponse = message_of(q.functionResponse, 'function_response', `${at}.function_response`);
            return q;
        });
        return n;
    };
    if (req.contents !== undefined) {
        if (!Array.isArray(req.contents)) throw invalid("Invalid value at 'contents', expected a list.");
        req.contents = req.contents.map((c, i) => content(c, `contents[${i}]`));
    }
    if (req.systemInstruction !== undefined) req.systemInstruction = content(req.systemInstruction, 'system_instruction');
    if (req.tools !== undefined) {
        req.tools = req.tools.map((t, i) => {
            const tool = message_of(t, 'tool', `tools[${i}]`);
            if (tool.functionDeclarations) {
                tool.functionDeclarations = tool.functionDeclarations.map((d, j) => {
                    const at = `tools[${i}].function_declarations[${j}]`;
                    const decl = message_of(d, 'function_declaration', at);
                    if (decl.parameters !== undefined) check_schema(decl.parameters, `${at}.parameters`);
                    if (decl.parameters !== undefined && decl.parametersJsonSchema !== undefined) {
                        throw invalid(`${at}: parameters and parameters_json_schema cannot both be set.`);
                    }
                    return decl;
                });
            }
            return tool;
        });
    }
    if (req.toolConfig !== undefined) {
        req.toolConfig = message_of(req.toolConfig, 'tool_config', 'tool_config');
        if (req.toolConfig.functionCallingConfig) {
            req.toolConfig.functionCallingConfig = message_of(req.toolConfig.functionCallingConfig, 'function_calling_config', 'tool_config.function_calling_config');
        }
    }
    if (req.generationConfig !== undefined) {
        const g = (req.generationConfig = message_of(req.generationConfig, 'generation_config', 'generation_config'));
        if (g.thinkingConfig !== undefined) g.thinkingConfig = message_of(g.thinkingConfig, 'thinking_config', 'generation_config.thinking_config');
        if (g.responseSchema !== undefined) check_schema(g.responseSchema, 'generation_config.response_schema');
    }
    (req.safetySettings ?? []).forEach((s, i) => message_of(s, 'safety_setting', `safety_settings[${i}]`));
    return req;
}

function validate(req, model) {
    if (!Array.isArray(req.contents) || req.contents.length === 0) throw invalid('* GenerateContentRequest.contents: contents is not specified\n');
    let previous = null;
    req.contents.forEach((c, i) => {
        if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') throw invalid('Please use a valid role: user, model.');
        if (!c.parts.length) throw invalid(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.\n`);
        c.parts.forEach((p, j) => {
            const data = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'].filter((k) => p[k] !== undefined);
            if (data.length !== 1) throw invalid(`* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`);
            if (p.inlineData) {
                if (typeof p.inlineData.mimeType !== 'string' || typeof p.inlineData.data !== 'string') throw invalid(`* GenerateContentRequest.contents[${i}].parts[${j}].inline_data: mime_type and data are required\n`);
                if (p.inlineData.mimeType === 'image/png' && !is_png_base64(p.inlineData.data)) throw invalid('Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
            }
            if (p.fileData && typeof p.fileData.fileUri !== 'string') throw invalid(`* GenerateContentRequest.contents[${i}].parts[${j}].file_data.file_uri: file_uri is required\n`);
            if (p.functionCall && typeof p.functionCall.name !== 'string') throw invalid(`* GenerateContentRequest.contents[${i}].parts[${j}].function_call.name: Name cannot be empty.\n`);
        });
        const calls = c.parts.filter((p) => p.functionCall);
        const responses = c.parts.filter((p) => p.functionResponse);
        if (calls.length && previous && !(previous.role !== 'model' && (previous.parts.every((p) => !p.functionCall)))) {
            throw invalid('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
        }
        if (responses.length) {
            const previous_calls = previous?.parts.filter((p) => p.functionCall) ?? [];
            if (previous?.role !== 'model' || !previous_calls.length) {
                throw invalid('Please ensure that function response turn comes immediately after a function call turn.');
            }
            if (previous_calls.length !== responses.length) {
                throw invalid('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
            }
            for (const r of responses) {
                const match = previous_calls.find((p) => p.functionCall.name === r.functionResponse.name);
                if (!match) throw invalid(`Function response name "${r.functionResponse.name}" does not match any function call of the previous turn.`);
                if (match.functionCall.id && r.functionResponse.id && match.functionCall.id !== r.functionResponse.id) {
                    throw invalid(`Function response id "${r.functionResponse.id}" does not match the function call id "${match.functionCall.id}".`);
                }
            }
        }
        previous = c;
    });
    const names = new Set();
    for (const t of req.tools ?? []) {
        for (const d of t.functionDeclarations ?? []) {
            if (typeof d.name !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(d.name)) {
                throw invalid(`* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.\n`);
            }
            names.add(d.name);
        }
    }
    const fc = req.toolConfig?.functionCallingConfig;
    if (fc) {
        if (fc.mode !== undefined && !['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(fc.mode)) throw invalid(`Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${fc.mode}"`);
        if (fc.allowedFunctionNames !== undefined) {
            if (fc.mode !== 'ANY' && fc.mode !== 'VALIDATED') throw invalid('* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: allowed_function_names should only be set when the Mode is ANY or VALIDATED.\n');
            for (const n of fc.allowedFunctionNames) if (!names.has(n)) throw invalid(`* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: ${n} is not a declared function.\n`);
        }
    }
    const g = req.generationConfig ?? {};
    if (g.responseSchema !== undefined && g.responseJsonSchema !== undefined) throw invalid('* GenerateContentRequest.generation_config.response_schema: Only one of response_schema and response_json_schema can be set.\n');
    if ((g.responseSchema !== undefined || g.responseJsonSchema !== undefined) && g.responseMimeType !== 'application/json' && g.responseMimeType !== 'text/x.enum') {
        throw invalid('* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be set to application/json or text/x.enum when response_schema is set.\n');
    }
    const tc = g.thinkingConfig;
    if (tc) {
        if (!model.thinks) throw invalid('Thinking is not supported for this model.');
        if (tc.thinkingLevel !== undefined && !model.levels) throw invalid('Thinking level is not supported for this model.');
        if (tc.thinkingBudget !== undefined && (!Number.isInteger(tc.thinkingBudget) || tc.thinkingBudget < -1 || tc.thinkingBudget > 24576)) {
            throw invalid('The thinking budget is invalid. Please choose a value between 0 and 24576, or -1 for dynamic thinking.');
        }
    }
}

function text_parts(content) {
    return (content?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text);
}

/// The neutral view of a generateContent request (normalized field names; see common.mjs).
export function view(req, model_name, stream, model = { thinks: true }) {
    const turns = (req.contents ?? []).map((c) => ({
        role: c.role === 'model' ? 'assistant' : 'user',
        parts: c.parts.map((p) => {
            if (p.thought) return { type: 'reasoning', text: p.text, signature: p.thoughtSignature };
            if (typeof p.text === 'string') return { type: 'text', text: p.text, signature: p.thoughtSignature };
            if (p.inlineData) return { type: 'image', mime: p.inlineData.mimeType, data: p.inlineData.data };
            if (p.fileData) return { type: 'image', url: p.fileData.fileUri, mime: p.fileData.mimeType };
            if (p.functionCall) return { type: 'tool_call', id: p.functionCall.id, name: p.functionCall.name, args: p.functionCall.args ?? {}, signature: p.thoughtSignature };
            if (p.functionResponse) return { type: 'tool_result', id: p.functionResponse.id, name: p.functionResponse.name, output: p.functionResponse.response };
            return { type: 'other' };
        }),
    }));
    const tools = [];
    for (const t of req.tools ?? []) {
        for (const d of t.functionDeclarations ?? []) tools.push({ name: d.name, description: d.description, schema: d.parametersJsonSchema ?? d.parameters });
    }
    const fc = req.toolConfig?.functionCallingConfig;
    const g = req.generationConfig ?? {};
    const schema = g.responseJsonSchema ?? g.responseSchema;
    const tc = g.thinkingConfig ?? {};
    // Thinking models think unless told not to (budget 0); thoughts are shown only on request.
    const asked = model.thinks && tc.thinkingBudget !== 0;
    const system = text_parts(req.systemInstruction).join('\n');
    return {
        model: model_name,
        stream,
        max_tokens: g.maxOutputTokens ?? null,
        temperature: g.temperature ?? null,
        system: system || null,
        turns,
        tools,
        tool_choice: fc?.mode ?? null,
        forced_tool: fc?.mode === 'ANY' && fc.allowedFunctionNames?.length === 1 ? fc.allowedFunctionNames[0] : null,
        structured: g.responseMimeType === 'application/json' && schema ? { schema } : null,
        reasoning: { asked, visible: asked && tc.includeThoughts === true, budget: tc.thinkingBudget ?? null },
    };
}

/// Gemini's stream JSON: `": "` after keys, no space after commas.
function gemini_json(v) {
    if (Array.isArray(v)) return `[${v.map(gemini_json).join(',')}]`;
    if (is_object(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${gemini_json(x)}`).join(',')}}`;
    return JSON.stringify(v);
}

function signature() {
    return Buffer.from(random_id('', 120)).toString('base64');
}

function usage(plan, candidates, final) {
    const u = { promptTokenCount: plan.usage.input };
    const visible = plan.usage.output - plan.usage.reasoning;
    const shown = final ? visible : candidates;
    if (shown) u.candidatesTokenCount = shown;
    u.totalTokenCount = plan.usage.input + (shown ?? 0) + plan.usage.reasoning;
    u.promptTokensDetails = [{ modality: 'TEXT', tokenCount: plan.usage.input }];
    if (plan.usage.reasoning) u.thoughtsTokenCount = plan.usage.reasoning;
    return u;
}

/// The answer's chunks: parts per chunk, the last one with the finish reason.
function chunk_parts(plan) {
    const chunks = [];
    if (plan.reasoning_visible) for (const piece of plan.reasoning) chunks.push([{ text: piece, thought: true }]);
    if (plan.kind === 'tool_calls') {
        const parts = plan.calls.map((c) => ({ functionCall: { name: c.name, args: c.args } }));
        if (plan.reasoning) parts[0].thoughtSignature = signature();
        chunks.push(parts);
        chunks.push([{ text: '' }]); // the closing chunk carries an empty text part
    } else {
        plan.pieces.forEach((piece, i) => {
            const part = { text: piece };
            // A model that thought signs its first answer part (whether or not thoughts are shown).
            if (i === 0 && plan.reasoning) part.thoughtSignature = signature();
            chunks.push([part]);
        });
    }
    return chunks;
}

function response(parts, plan, ids, { final, candidates }) {
    const candidate = { content: { parts, role: 'model' } };
    if (final) candidate.finishReason = 'STOP';
    candidate.index = 0;
    return { candidates: [candidate], usageMetadata: usage(plan, candidates, final), modelVersion: ids.model, responseId: ids.id };
}

function scripted_failure(status) {
    if (status === 429) {
        return gemini_error(429, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.', 'RESOURCE_EXHAUSTED', [
            { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
        ]);
    }
    return invalid('The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).');
}

/// models: {name: {version, thinks}}.
export function start_gemini({ key, models }) {
    return start_upstream({
        name: 'gemini',
        async handle(ex) {
            const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(ex.path);
            if (ex.method !== 'POST' || !m) throw gemini_error(404, 'Method not found.', 'NOT_FOUND');
            const presented = ex.headers['x-goog-api-key'] ?? ex.query.key;
            if (!presented) {
                throw gemini_error(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", 'PERMISSION_DENIED');
            }
            if (presented !== key) {
                throw gemini_error(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', [
                    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
                ]);
            }
            let body;
            try {
                body = JSON.parse(ex.raw);
            } catch (e) {
                throw invalid(`Invalid JSON payload received. ${e.message}`);
            }
            ex.record.body = body;
            const model = models[m[1]];
            if (!model) throw gemini_error(404, `models/${m[1]} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`, 'NOT_FOUND');
            const req = normalize(body);
            validate(req, model);
            const stream = m[2] === 'streamGenerateContent';
            const v = view(req, m[1], stream, model);
            ex.record.view = v;
            const plan = plan_answer(v);
            ex.record.plan = plan;
            if (plan.kind === 'error') throw scripted_failure(plan.status);
            const ids = { id: random_id('', 23), model: model.version };
            const chunks = chunk_parts(plan);
            if (!stream) {
                const all = chunks.flat().filter((p, i, a) => !(p.text === '' && a.length > 1));
                // Whole text parts, as the non-stream API returns them.
                const merged = [];
                for (const p of all) {
                    const last = merged[merged.length - 1];
                    if (last && typeof p.text === 'string' && typeof last.text === 'string' && !!p.thought === !!last.thought && !p.thoughtSignature) last.text += p.text;
                    else merged.push({ ...p });
                }
                ex.reply.json(200, JSON.stringify(response(merged, plan, ids, { final: true }), null, 2), { 'content-type': 'application/json; charset=UTF-8' });
                return;
            }
            let candidates = 0;
            const bodies = chunks.map((parts, i) => {
                candidates += parts.some((p) => !p.thought) ? 3 : 0;
                return response(parts, plan, ids, { final: i === chunks.length - 1, candidates });
            });
            if (ex.query.alt === 'sse') {
                await ex.reply.events(200, bodies.map((b) => `data: ${gemini_json(b)}\r\n\r\n`), { 'content-type': 'text/event-stream' });
            } else {
                const text = '[' + bodies.map((b) => JSON.stringify(b, null, 2)).join('\n,\r\n') + '\n]';
                await ex.reply.events(200, [text], { 'content-type': 'application/json; charset=UTF-8' });
            }
        },
    });
}
