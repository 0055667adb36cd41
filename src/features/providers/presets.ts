/**
 * Provider kinds an admin picks from: an OpenAI-compatible endpoint with a known base URL. Their
 * JSON-mode quirks are the transport's (`jsonModeForHost`), so a preset only seeds the form and
 * the models' default capabilities.
 */
import { jsonModeForHost } from '../../infra/llm/openai-compatible.js';
import type { ModelCapabilities } from '../../infra/llm/index.js';

export interface ProviderPreset {
  label: string;
  baseUrl: string;
  /** Hosted services need a key; local servers usually do not. */
  needsKey: boolean;
  headers?: Record<string, string>;
}

export const PROVIDER_PRESETS = {
  openai: { label: 'OpenAI', baseUrl: 'https://api.openai.com/v1', needsKey: true },
  // https://openrouter.ai/docs/api-reference/overview#headers — attribution, optional.
  openrouter: { label: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', needsKey: true, headers: { 'X-Title': 'FastNPC' } },
  deepseek: { label: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', needsKey: true },
  zhipu: { label: 'Zhipu GLM', baseUrl: 'https://open.bigmodel.cn/api/paas/v4', needsKey: true },
  dashscope: { label: 'Qwen (DashScope)', baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1', needsKey: true },
  siliconflow: { label: 'SiliconFlow', baseUrl: 'https://api.siliconflow.cn/v1', needsKey: true },
  moonshot: { label: 'Moonshot (Kimi)', baseUrl: 'https://api.moonshot.cn/v1', needsKey: true },
  ollama: { label: 'Ollama', baseUrl: 'http://127.0.0.1:11434/v1', needsKey: false },
  vllm: { label: 'vLLM', baseUrl: 'http://127.0.0.1:8000/v1', needsKey: false },
  llamacpp: { label: 'llama.cpp server', baseUrl: 'http://127.0.0.1:8080/v1', needsKey: false },
  custom: { label: 'OpenAI-compatible', baseUrl: '', needsKey: false },
} satisfies Record<string, ProviderPreset>;

export type ProviderKind = keyof typeof PROVIDER_PRESETS;
export const PROVIDER_KINDS = Object.keys(PROVIDER_PRESETS) as ProviderKind[];

/** A new model's capabilities, from what its endpoint is known to accept. */
export function defaultCapabilities(baseUrl: string): Required<ModelCapabilities> {
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    /* validated elsewhere */
  }
  return { jsonMode: jsonModeForHost(host), streamUsage: true };
}
