// The official TypeScript MCP SDK client, signing a user in through the development identity
// provider (devidp) with its own OAuth code (auth() in @modelcontextprotocol/sdk/client/auth.js),
// then listing the tools and calling `add`. Driven by tests/e2e/test_typescript_oauth_client.py.
//
//   node oauth_client.mjs <config.json>
//
// config: { mcpUrl, clientId, redirectUrl, user, stateFile, omitResource, allowSignIn }
// The provider keeps its tokens in `stateFile` (as a real client keeps them on disk), so a second
// run starts from the first run's tokens. The "browser" step (consent page, approve) is done
// here with fetch, as a user agent would. stdout: one JSON report; tokens are never printed.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = { signIns: [], tokenRequests: [], tools: null, add: null, error: null };

function loadState() {
    return existsSync(config.stateFile) ? JSON.parse(readFileSync(config.stateFile, 'utf8')) : {};
}

function saveState(patch) {
    writeFileSync(config.stateFile, JSON.stringify({ ...loadState(), ...patch }), { mode: 0o600 });
}

// The user agent's part of the code flow: GET the consent page, approve as `user`, read the
// redirect back to the client. Returns the authorization code.
async function approveInBrowser(authorizationUrl) {
    const page = await fetch(authorizationUrl, { redirect: 'manual' });
    if (page.status !== 200) {
        const location = page.headers.get('location');
        const params = location ? new URL(location).searchParams : null;
        const error = params ? { error: params.get('error'), error_description: params.get('error_description') } : await page.text();
        throw new Error(`authorization endpoint refused: ${page.status} ${JSON.stringify(error)}`);
    }
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)[1].replaceAll('&amp;', '&');
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)[1];
    const decision = await fetch(action, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ ticket, decision: 'approve', user: config.user }),
    });
    const redirect = new URL(decision.headers.get('location'));
    if (`${redirect.origin}${redirect.pathname}` !== new URL(config.redirectUrl).href) {
        throw new Error(`redirected elsewhere: ${redirect.origin}${redirect.pathname}`);
    }
    const params = redirect.searchParams;
    if (params.get('state') !== loadState().oauthState) throw new Error('state mismatch');
    if (params.has('error')) throw new Error(`sign-in refused: ${params.get('error')}`);
    return params.get('code');
}

// The SDK's auth interface for a pre-registered public client (Entra and devidp have no RFC 7591
// registration): static client information, tokens kept in the state file.
class FileProvider {
    pendingCode = null;

    get redirectUrl() {
        return config.redirectUrl;
    }

    get clientMetadata() {
        return {
            client_name: 'TypeScript SDK driver',
            redirect_uris: [config.redirectUrl],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none',
        };
    }

    state() {
        const state = crypto.randomUUID();
        saveState({ oauthState: state });
        return state;
    }

    clientInformation() {
        return { client_id: config.clientId };
    }

    tokens() {
        return loadState().tokens;
    }

    saveTokens(tokens) {
        saveState({ tokens });
    }

    async redirectToAuthorization(authorizationUrl) {
        const asked = authorizationUrl.searchParams;
        report.signIns.push({ scope: asked.get('scope'), resource: asked.get('resource'), prompt: asked.get('prompt') });
        if (!config.allowSignIn) throw new Error('a new sign-in was asked for');
        this.pendingCode = await approveInBrowser(authorizationUrl);
    }

    saveCodeVerifier(codeVerifier) {
        saveState({ codeVerifier });
    }

    codeVerifier() {
        return loadState().codeVerifier;
    }

    invalidateCredentials(scope) {
        if (scope === 'all' || scope === 'tokens') saveState({ tokens: undefined });
    }
}

// Entra's v2 endpoint takes the resource from the scope and refuses a `resource` that is not
// one of the API's identifier URIs (AADSTS9010010); devidp copies that. The SDK sends the
// protected resource metadata's `resource` unless the provider decides: returning undefined
// here leaves the parameter out of the authorization, token and refresh requests.
if (config.omitResource) {
    FileProvider.prototype.validateResourceURL = async () => undefined;
}

// Every token request the SDK makes, by grant type and the parameters that matter here.
async function recordingFetch(url, init) {
    if (init?.method === 'POST' && init.body instanceof URLSearchParams && init.body.has('grant_type')) {
        const body = init.body;
        report.tokenRequests.push({ grant_type: body.get('grant_type'), resource: body.get('resource') });
    }
    return fetch(url, init);
}

async function session(provider) {
    const transport = new StreamableHTTPClientTransport(new URL(config.mcpUrl), { authProvider: provider, fetch: recordingFetch });
    const client = new Client({ name: 'ts-sdk-driver', version: '1.0.0' });
    try {
        await client.connect(transport);
    } catch (error) {
        if (!(error instanceof UnauthorizedError) || provider.pendingCode === null) throw error;
        // The SDK stopped at the redirect: hand it the code, as the redirect handler of an app does.
        await transport.finishAuth(provider.pendingCode);
        provider.pendingCode = null;
        return session(provider);
    }
    return { client, transport };
}

try {
    const provider = new FileProvider();
    const { client } = await session(provider);
    report.tools = (await client.listTools()).tools.map((tool) => tool.name);
    const added = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    report.add = { isError: added.isError ?? false, structuredContent: added.structuredContent };
    await client.close();
} catch (error) {
    report.error = String(error?.message ?? error);
}
process.stdout.write(JSON.stringify(report) + '\n');
