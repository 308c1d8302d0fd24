// The official MCP TypeScript SDK client signing in through the OAuth front, with an
// OAuthClientProvider implemented here and the person (a headless browser) on the Python side:
// this script prints `AUTHORIZE <url>` and reads `CALLBACK <url>` back on stdin.
//
//   node front-client.mjs <mcp url> [--cimd <client metadata url>] [--expire]
//
// Steps, each reported as one `RESULT <json>` line: sign in, list tools, add; with --expire print
// `EXPIRE <exp>`, read `EXPIRED` once the test has moved the server's clock past it, and add again
// (the SDK refreshes on the 401); then
// subtract, which needs a scope the first sign-in did not grant (403 step-up).
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';
const [mcpUrl, ...flags] = process.argv.slice(2);
const cimdUrl = flags.includes('--cimd') ? flags[flags.indexOf('--cimd') + 1] : undefined;
const expire = flags.includes('--expire');

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (kind, value) => process.stdout.write(`${kind} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

class DriverProvider {
  constructor() {
    this.stored = {};
    this.authorizations = 0;
    if (cimdUrl) this.clientMetadataUrl = cimdUrl;
  }
  get redirectUrl() { return REDIRECT; }
  get clientMetadata() {
    return {
      client_name: 'TypeScript SDK test client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { this.expectedState = randomBytes(16).toString('hex'); return this.expectedState; }
  clientInformation() { return this.stored.client; }
  saveClientInformation(info) { this.stored.client = info; }
  tokens() { return this.stored.tokens; }
  saveTokens(tokens) {
    this.stored.tokens = tokens;
    say('TOKENS', [tokens.access_token, tokens.refresh_token].filter(Boolean));
  }
  redirectToAuthorization(url) { this.pendingUrl = url.toString(); this.authorizations += 1; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'tokens') delete this.stored.tokens;
    if (scope === 'all' || scope === 'client') delete this.stored.client;
  }
}

const provider = new DriverProvider();
const requests = [];
const recordingFetch = async (url, init) => {
  requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
  return fetch(url, init);
};
const client = new Client({ name: 'front-ts-test', version: '1.0.0' });
const transport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recordingFetch });

async function person() {
  say('AUTHORIZE', provider.pendingUrl);
  const { value } = await lines.next();
  const landed = new URL(value.replace(/^CALLBACK /, ''));
  if (landed.searchParams.get('state') !== provider.expectedState) throw new Error('state mismatch');
  return landed.searchParams.get('code');
}

async function connect() {
  let current = transport();
  try {
    await client.connect(current);
    return;
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  await current.finishAuth(await person());
  current = transport();
  await client.connect(current);
}

const result = (value) => value.structuredContent ?? value;
const tokenExpiry = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp;

try {
  await connect();
  const tools = (await client.listTools()).tools.map((tool) => tool.name);
  say('RESULT', { step: 'signed-in', tools, add: result(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })) });

  if (expire) {
    const first = provider.stored.tokens.access_token;
    // The test moves the server's clock past the token's expiry instead of waiting for it.
    say('EXPIRE', String(tokenExpiry(first)));
    const { value } = await lines.next();
    if (value !== 'EXPIRED') throw new Error(`expected EXPIRED, read ${value}`);
    const before = requests.length;
    const added = result(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }));
    say('RESULT', { step: 'after-expiry', add: added, renewed: provider.stored.tokens.access_token !== first,
      requests: requests.slice(before), authorizations: provider.authorizations });
  }

  let subtracted;
  let sdkStepUp = 'succeeded';
  try {
    subtracted = await client.callTool({ name: 'subtract', arguments: { a: 5, b: 1 } });
  } catch (error) {
    // SDK 1.32.2 answers insufficient_scope by refreshing (a refresh cannot widen the grant),
    // retries once and gives up with this 403; an application then signs in again.
    if (!(error instanceof StreamableHTTPError) || error.code !== 403) throw error;
    sdkStepUp = error.message;
    provider.invalidateCredentials('tokens');
    await client.close();
    await connect();
    subtracted = await client.callTool({ name: 'subtract', arguments: { a: 5, b: 1 } });
  }
  say('RESULT', { step: 'step-up', subtract: result(subtracted), sdkStepUp, authorizations: provider.authorizations,
    registered: requests.includes('POST /oauth/register'), clientIdPrefix: provider.stored.client.client_id.slice(0, 6) });
  await client.close();
  process.exit(0);
} catch (error) {
  say('ERROR', String(error?.stack ?? error));
  process.exit(1);
}
