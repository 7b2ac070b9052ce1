import { describe, expect, it } from 'vitest';
import { describeModel, loadModelConfig, MODEL_DEFAULTS } from '../../agents/index.js';
import { isPolicyforgeError } from '../../common/index.js';

function configError(env: Record<string, string>): string {
  try {
    loadModelConfig(env);
  } catch (err) {
    expect(isPolicyforgeError(err, 'PF_ERR_CONFIG')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected PF_ERR_CONFIG');
}

describe('loadModelConfig', () => {
  it('is offline (undefined) when nothing is configured', () => {
    expect(loadModelConfig({})).toBeUndefined();
    expect(loadModelConfig({ OPENAI_API_KEY: '', OPENAI_BASE_URL: '' })).toBeUndefined();
  });

  it('configures OpenAI from OPENAI_API_KEY with the documented defaults', () => {
    expect(loadModelConfig({ OPENAI_API_KEY: 'sk-test-123456789' })).toEqual({
      provider: 'openai',
      model: MODEL_DEFAULTS.model,
      apiKey: 'sk-test-123456789',
      timeoutMs: MODEL_DEFAULTS.timeoutMs,
      maxRetries: MODEL_DEFAULTS.maxRetries,
      temperature: 0,
    });
  });

  it('accepts an OpenAI-compatible server by base URL without a key (Ollama, vLLM, LM Studio)', () => {
    const c = loadModelConfig({
      OPENAI_BASE_URL: 'http://localhost:11434/v1',
      POLICYFORGE_MODEL: 'llama3.1:8b',
      POLICYFORGE_PROVIDER: 'ollama',
    });
    expect(c).toMatchObject({
      provider: 'openai-compatible',
      model: 'llama3.1:8b',
      baseURL: 'http://localhost:11434/v1',
    });
    expect(c?.apiKey).toBeUndefined();
  });

  it('honours POLICYFORGE_PROVIDER=offline even when a key is set', () => {
    expect(loadModelConfig({ OPENAI_API_KEY: 'sk-test-123456789', POLICYFORGE_PROVIDER: 'offline' })).toBeUndefined();
  });

  it('names the variable and the mistake for each bad setting', () => {
    expect(configError({ POLICYFORGE_PROVIDER: 'anthropic' })).toMatch(
      /POLICYFORGE_PROVIDER=anthropic is not supported yet/,
    );
    expect(configError({ POLICYFORGE_PROVIDER: 'banana' })).toMatch(/POLICYFORGE_PROVIDER=banana is unknown/);
    expect(configError({ POLICYFORGE_PROVIDER: 'openai' })).toMatch(/needs OPENAI_API_KEY/);
    expect(configError({ POLICYFORGE_PROVIDER: 'vllm' })).toMatch(/needs OPENAI_BASE_URL/);
    expect(configError({ OPENAI_BASE_URL: 'localhost:11434' })).toMatch(/OPENAI_BASE_URL/);
    expect(configError({ OPENAI_BASE_URL: 'ftp://x/v1' })).toMatch(/http or https/);
    expect(configError({ OPENAI_API_KEY: '   ' })).toMatch(/OPENAI_API_KEY is set but blank/);
    expect(configError({ OPENAI_API_KEY: 'sk-abc def' })).toMatch(/OPENAI_API_KEY contains whitespace/);
    expect(configError({ OPENAI_API_KEY: 'sk-test-123456789', POLICYFORGE_MODEL_TIMEOUT_MS: 'soon' })).toMatch(
      /POLICYFORGE_MODEL_TIMEOUT_MS=soon is not a whole number/,
    );
    expect(configError({ OPENAI_API_KEY: 'sk-test-123456789', POLICYFORGE_MODEL_TIMEOUT_MS: '5' })).toMatch(
      /out of range/,
    );
    expect(configError({ OPENAI_API_KEY: 'sk-test-123456789', POLICYFORGE_MODEL_MAX_RETRIES: '99' })).toMatch(
      /POLICYFORGE_MODEL_MAX_RETRIES=99 is out of range/,
    );
    expect(configError({ OPENAI_API_KEY: 'sk-test-123456789', POLICYFORGE_MODEL: 'gpt 4o' })).toMatch(
      /POLICYFORGE_MODEL="gpt 4o" contains whitespace/,
    );
  });

  it('reads POLICYFORGE_STRUCTURED_OUTPUT for servers without tool calling', () => {
    expect(
      loadModelConfig({ OPENAI_BASE_URL: 'http://localhost:1234/v1', POLICYFORGE_STRUCTURED_OUTPUT: 'json' })
        ?.structuredOutput,
    ).toBe('json');
    expect(configError({ OPENAI_BASE_URL: 'http://localhost:1234/v1', POLICYFORGE_STRUCTURED_OUTPUT: 'xml' })).toMatch(
      /POLICYFORGE_STRUCTURED_OUTPUT=xml must be tools or json/,
    );
  });

  it('describes a model without its key', () => {
    const c = loadModelConfig({
      OPENAI_API_KEY: 'sk-secret-abcdefghij',
      OPENAI_BASE_URL: 'https://llm.internal:8443/v1',
    })!;
    expect(describeModel(c)).toBe('openai-compatible:gpt-4o at llm.internal:8443');
    expect(describeModel(c)).not.toContain('sk-secret');
  });
});
