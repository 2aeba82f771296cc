// What the four strict loopback upstreams share: the HTTP server, request recording, SSE framing
// (one flushed write per event), and the answer a "model" gives to a request.
//
// Each upstream module turns its provider's request body into a neutral *view* (system text,
// turns of parts, tools, structured-output schema, reasoning request); `plan_answer` decides the
// answer from that view, and the module writes it in its provider's exact wire format. The same
// views let the test runner assert on what an upstream really received.

import http from 'node:http';
import { randomBytes } from 'node:crypto';

export const ANSWERS = Object.freeze({
    text: ['The', ' capital', ' of', ' France', ' is', ' Paris', '.'],
    vision: ['The', ' image', ' is', ' a', ' single', ' red', ' pixel', '.'],
    after_tool: ['It', ' is', ' 18', ' °C', ' and', ' sunny', ' in', ' Paris', '.'],
    reasoning: ['The user', ' asks for the capital', ' of France.', ' That is Paris.'],
});

/// Values the "model" puts in generated JSON (tool arguments, structured output), by property.
const KNOWN_VALUES = {
    city: 'Paris',
    country: 'France',
    unit: 'celsius',
    timezone: 'Europe/Paris',
    population_millions: 2.1,
    is_capital: true,
};

/// A JSON value that satisfies `schema` (objects get every property, in schema order).
export function value_for_schema(schema, name = '') {
    if (!schema || typeof schema !== 'object') return 'example';
    if (name in KNOWN_VALUES) return KNOWN_VALUES[name];
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    if (Array.isArray(schema.anyOf) && schema.anyOf.length) return value_for_schema(schema.anyOf[0], name);
    const type = String(Array.isArray(schema.type) ? schema.type[0] : (schema.type ?? 'object')).toLowerCase();
    switch (type) {
        case 'object': {
            const out = {};
            for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = value_for_schema(v, k);
            return out;
        }
        case 'array': return [value_for_schema(schema.items, '')];
        case 'string': return 'example';
        case 'number': return 1.5;
        case 'integer': return 3;
        case 'boolean': return true;
        case 'null': return null;
        default: return 'example';
    }
}

/// The last user text of a view (where tests put `[[fail:STATUS]]` to ask for an error).
function last_user_text(view) {
    for (let i = view.turns.length - 1; i >= 0; --i) {
        const t = view.turns[i];
        if (t.role !== 'user') continue;
        const texts = t.parts.filter((p) => p.type === 'text').map((p) => p.text);
        if (texts.length) return texts.join('\n');
    }
    return '';
}

/// Decides what the model answers. Returns
/// {kind: 'error', status} | {kind: 'tool_calls', calls:[{name,args}]} |
/// {kind: 'text', pieces:[...], json: bool}; plus `reasoning` (pieces or null) and `usage`.
export function plan_answer(view) {
    const fail = /\[\[fail:(\d{3})\]\]/.exec(last_user_text(view));
    if (fail) return { kind: 'error', status: Number(fail[1]) };

    const last = view.turns[view.turns.length - 1];
    const after_tool = !!last && last.parts.some((p) => p.type === 'tool_result');
    const images = view.turns.some((t) => t.parts.some((p) => p.type === 'image'));
    let plan;
    if (view.forced_tool) {
        const tool = view.tools.find((t) => t.name === view.forced_tool);
        plan = { kind: 'tool_calls', calls: [{ name: view.forced_tool, args: value_for_schema(tool?.schema) }] };
    } else if (view.tools.length && !after_tool && view.tool_choice !== 'none') {
        plan = { kind: 'tool_calls', calls: view.tools.map((t) => ({ name: t.name, args: value_for_schema(t.schema) })) };
    } else if (after_tool) {
        plan = { kind: 'text', pieces: ANSWERS.after_tool };
    } else if (view.structured) {
        const doc = JSON.stringify(value_for_schema(view.structured.schema));
        // Streamed in a few uneven pieces, as models do.
        const cut = [0, 2, Math.floor(doc.length / 2), doc.length - 1, doc.length];
        plan = { kind: 'text', json: true, pieces: cut.slice(1).map((end, i) => doc.slice(cut[i], end)).filter(Boolean) };
    } else if (images) {
        plan = { kind: 'text', pieces: ANSWERS.vision };
    } else {
        plan = { kind: 'text', pieces: ANSWERS.text };
    }
    plan.reasoning = view.reasoning.asked ? ANSWERS.reasoning : null;
    plan.reasoning_visible = !!plan.reasoning && view.reasoning.visible;
    // Token counts that depend on the request, so that a mapping error shows.
    const input = 11 + 4 * view.turns.length + 9 * view.tools.length + (view.system ? 6 : 0);
    const reasoning_tokens = plan.reasoning ? 24 : 0;
    const visible = plan.kind === 'text' ? plan.pieces.length : 12 * plan.calls.length;
    plan.usage = { input, output: visible + 3 + reasoning_tokens, reasoning: reasoning_tokens };
    return plan;
}

export function text_of(plan) {
    return plan.pieces.join('');
}

/// Random ids in each provider's alphabet.
export function random_id(prefix, length = 24) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const bytes = randomBytes(length);
    let s = prefix;
    for (const b of bytes) s += alphabet[b % alphabet.length];
    return s;
}

export function hex_id(prefix, bytes = 24) {
    return prefix + randomBytes(bytes).toString('hex');
}

/// OpenAI's `obfuscation` padding: a random-length random string.
export function obfuscation() {
    return random_id('', 3 + (randomBytes(1)[0] % 12));
}

export class http_error extends Error {
    constructor(status, body, headers = {}) {
        super(`HTTP ${status}`);
        this.status = status;
        this.body = body;
        this.headers = headers;
    }
}

const MAX_BODY = 16 * 1024 * 1024;

function read_body(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
            size += c.length;
            if (size > MAX_BODY) {
                reject(new Error('body too large'));
                req.destroy();
                return;
            }
            chunks.push(c);
        });
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

function tick() {
    return new Promise((resolve) => setImmediate(resolve));
}

/// A response being written: JSON at once, or SSE events each in its own flushed write.
export class reply {
    constructor(res) {
        this.res = res;
    }
    json(status, text, headers = {}) {
        const body = Buffer.from(text, 'utf8');
        this.res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
        this.res.end(body);
    }
    async events(status, frames, headers = {}) {
        this.res.writeHead(status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
        this.res.flushHeaders();
        for (const frame of frames) {
            if (this.res.destroyed) return;
            await new Promise((resolve) => this.res.write(frame, resolve));
            await tick();
        }
        this.res.end();
    }
}

/// Starts an upstream on 127.0.0.1 (port 0). `handle(exchange)` gets
/// {method, path, query, headers, raw, body, reply} and either writes the answer with `reply`
/// or throws an `http_error` carrying the provider's error body. Every request is recorded with what was answered.
export async function start_upstream({ name, handle }) {
    const records = [];
    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        const record = {
            upstream: name,
            method: req.method,
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers: req.headers,
            raw: '',
            body: undefined,
            status: 0,
            plan: null,
        };
        records.push(record);
        try {
            record.raw = await read_body(req);
            const exchange = { ...record, reply: new reply(res), record };
            await handle(exchange);
            record.status = res.statusCode;
        } catch (e) {
            if (e instanceof http_error) {
                record.status = e.status;
                record.error = e.body;
                if (!res.headersSent) new reply(res).json(e.status, typeof e.body === 'string' ? e.body : JSON.stringify(e.body), e.headers);
                return;
            }
            record.status = 500;
            record.error = String(e?.stack ?? e);
            if (!res.headersSent) {
                res.writeHead(500, { 'content-type': 'text/plain' });
                res.end(`fake ${name} failed: ${e?.message ?? e}`);
            } else {
                res.destroy();
            }
        }
    });
    server.keepAliveTimeout = 5000;
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    return {
        name,
        port,
        base_url: `http://127.0.0.1:${port}`,
        records,
        reset() {
            records.length = 0;
        },
        close() {
            return new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            });
        },
    };
}

/// Parses a JSON request body or throws the provider's own error.
export function parse_json(raw, make_error) {
    try {
        return JSON.parse(raw);
    } catch (e) {
        throw make_error(e);
    }
}

export function is_object(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/// Problems of a JSON Schema under OpenAI's strict mode ("Structured Outputs": every object has
/// `additionalProperties: false` and lists every property in `required`).
export function strict_schema_problem(schema, context = '()') {
    if (!is_object(schema)) return null;
    const type = schema.type;
    if (type === 'object' || (Array.isArray(type) && type.includes('object')) || schema.properties) {
        if (schema.additionalProperties !== false) {
            return `In context=${context}, 'additionalProperties' is required to be supplied and to be false.`;
        }
        const keys = Object.keys(schema.properties ?? {});
        const required = Array.isArray(schema.required) ? schema.required : [];
        const missing = keys.filter((k) => !required.includes(k));
        if (missing.length) {
            return `In context=${context}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
        }
        for (const [k, v] of Object.entries(schema.properties ?? {})) {
            const p = strict_schema_problem(v, `('properties', '${k}')`);
            if (p) return p;
        }
    }
    if (schema.items) return strict_schema_problem(schema.items, `('items',)`);
    for (const branch of schema.anyOf ?? []) {
        const p = strict_schema_problem(branch, `('anyOf',)`);
        if (p) return p;
    }
    return null;
}

/// Splits a `data:` URL into {mime, data}, or null.
export function parse_data_url(url) {
    const m = /^data:([^;,]+);base64,(.*)$/s.exec(url ?? '');
    return m ? { mime: m[1], data: m[2] } : null;
}

/// The PNG signature, to check that base64 image data survived the trip.
export function is_png_base64(data) {
    try {
        return Buffer.from(data, 'base64').subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    } catch {
        return false;
    }
}

export function unix_now() {
    return Math.floor(Date.now() / 1000);
}
