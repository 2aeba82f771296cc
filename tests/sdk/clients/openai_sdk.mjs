// What the two `openai` SDK clients (Chat Completions, Responses) share.

import OpenAI from 'openai';

export const errors = { 400: OpenAI.BadRequestError, 401: OpenAI.AuthenticationError, 429: OpenAI.RateLimitError };

export function make_client({ base_url, key, timeout }) {
    return new OpenAI({ apiKey: key, baseURL: `${base_url}/v1`, maxRetries: 0, timeout });
}
