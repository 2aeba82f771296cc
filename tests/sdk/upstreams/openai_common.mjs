// What OpenAI's two APIs (Chat Completions and Responses) share: the key check, the error
// envelope `{"error":{"message","type","param","code"}}`, the response headers, the scripted
// failures and the per-model rules of the real API.

import { http_error, parse_json, plan_answer, random_id, start_upstream } from './common.mjs';

export function openai_error(status, message, { type = 'invalid_request_error', param = null, code = null } = {}) {
    return new http_error(status, JSON.stringify({ error: { message, type, param, code } }, null, 2) + '\n', {
        'x-request-id': random_id('req_', 32),
    });
}

export function bad_request(message, param = null, code = null) {
    return openai_error(400, message, { param, code });
}

export function openai_headers() {
    return {
        'x-request-id': random_id('req_', 32),
        'openai-processing-ms': '112',
        'openai-version': '2020-10-01',
    };
}

/// `Authorization: Bearer <key>` (the only form the OpenAI API takes).
export function check_bearer(headers, key) {
    const auth = headers.authorization ?? '';
    if (!auth) {
        throw openai_error(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        );
    }
    const m = /^Bearer (.+)$/.exec(auth);
    if (!m || m[1] !== key) {
        const shown = m ? `${m[1].slice(0, 3)}*********${m[1].slice(-4)}` : '';
        throw openai_error(
            401,
            `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            { code: 'invalid_api_key' },
        );
    }
}

export function parse_openai_body(raw) {
    const body = parse_json(raw, () =>
        bad_request(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        ),
    );
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw bad_request("Invalid type for 'body': expected an object.", null, 'invalid_type');
    }
    return body;
}

/// The model entry for `name`, or OpenAI's 404.
export function find_model(models, name) {
    if (typeof name !== 'string' || !name) throw bad_request('you must provide a model parameter');
    const m = models[name];
    if (!m) {
        throw openai_error(404, `The model \`${name}\` does not exist or you do not have access to it.`, {
            code: 'model_not_found',
        });
    }
    return m;
}

/// The failures tests ask for with `[[fail:STATUS]]`, as the real API words them.
export function scripted_failure(status, model) {
    if (status === 429) {
        return openai_error(
            429,
            `Rate limit reached for ${model} in organization org-sdke2e on tokens per min (TPM): Limit 30000, Used 29990, Requested 120. Please try again in 220ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            { type: 'tokens', code: 'rate_limit_exceeded' },
        );
    }
    return openai_error(
        status,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
        { param: 'messages', code: 'context_length_exceeded' },
    );
}

/// Splits a string into uneven fragments, as streamed tool arguments arrive.
export function fragments(text, size = 7) {
    const out = [];
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
    return out.length ? out : [''];
}

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/// An OpenAI API upstream on `api_path`: key check, JSON body, model lookup, the API's own
/// validation, the answer plan; `answer(ex, body, model, plan)` writes the answer.
export function start_openai_api({ name, api_path, key, models, validate, view, answer }) {
    return start_upstream({
        name,
        async handle(ex) {
            if (ex.method !== 'POST' || ex.path !== api_path) throw openai_error(404, `Invalid URL (${ex.method} ${ex.path})`);
            check_bearer(ex.headers, key);
            const body = parse_openai_body(ex.raw);
            ex.record.body = body;
            const model = find_model(models, body.model);
            validate(body, model);
            const plan = plan_answer((ex.record.view = view(body)));
            ex.record.plan = plan;
            if (plan.kind === 'error') throw scripted_failure(plan.status, body.model);
            await answer(ex, body, model, plan);
        },
    });
}
