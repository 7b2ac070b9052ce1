import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/**
 * client-node 1.4 builds a new http(s).Agent for every request (KubeConfig.applySecurityAuthentication and
 * applyToHTTPSOptions), without keep-alive, so every call to the API server opens a new TCP connection and,
 * on a real cluster, a new TLS handshake. This hands back one keep-alive agent per distinct set of
 * connection options instead. Credentials in headers (tokens, exec plugins) are untouched: they are applied
 * per request as before; a rotated client certificate or CA changes the options, so it gets a new agent.
 * Proxy agents and anything else that is not a plain http/https Agent are returned as they are.
 */
export function reusedAgent(fresh: http.Agent | undefined): http.Agent | undefined {
  if (!fresh) return fresh;
  const isHttps = fresh.constructor === https.Agent;
  if (!isHttps && fresh.constructor !== http.Agent) return fresh;
  const options = (fresh as unknown as { options: Record<string, unknown> }).options;
  const key = agentKey(isHttps, options);
  let agent = agents.get(key);
  if (!agent) {
    const keepAlive = { ...options, keepAlive: true };
    agent = isHttps ? new https.Agent(keepAlive) : new http.Agent(keepAlive);
    agents.set(key, agent);
    evictBeyond(MAX_AGENTS);
  }
  return agent;
}

/** Agents for distinct options; more than a handful only happens as certificates rotate. */
const MAX_AGENTS = 8;
const agents = new Map<string, http.Agent>();

/** The options that decide which server a socket may be reused for and with which identity. */
const CONNECTION_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'ciphers',
  'secureProtocol',
  'timeout',
] as const;

function agentKey(isHttps: boolean, options: Record<string, unknown>): string {
  const hash = createHash('sha256').update(isHttps ? 'https' : 'http');
  for (const name of CONNECTION_OPTIONS) {
    hash.update(`\0${name}=`);
    addValue(hash, options[name]);
  }
  return hash.digest('base64');
}

function addValue(hash: ReturnType<typeof createHash>, value: unknown): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) {
      hash.update('\u0001');
      addValue(hash, item);
    }
  } else if (Buffer.isBuffer(value)) hash.update(value);
  else hash.update(`${typeof value}:${String(value)}`);
}

function evictBeyond(limit: number): void {
  for (const [key, agent] of agents) {
    if (agents.size <= limit) return;
    agents.delete(key);
    // Sockets in flight finish on their own; only idle ones are closed.
    for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }
}
