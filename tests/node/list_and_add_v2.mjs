// The official TypeScript MCP client, v2 (@modelcontextprotocol/client), with a pre-minted bearer token:
// list the tools, call add(2, 3). Usage: node list_and_add_v2.mjs <mcp-url> <legacy|auto|pin>
// (token in MCP_TOKEN). `auto` probes for the 2026-07-28 wire and falls back; `pin` speaks only it.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const [url, mode] = process.argv.slice(2);
const negotiation = { legacy: { mode: "legacy" }, auto: { mode: "auto" }, pin: { mode: { pin: "2026-07-28" } } }[mode];
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_TOKEN}` } },
});
const client = new Client({ name: "calculator-e2e-ts-v2", version: "1.0.0" }, { versionNegotiation: negotiation });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((tool) => tool.name);
const added = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
console.log(JSON.stringify({
  protocolVersion: client.getNegotiatedProtocolVersion(),
  tools,
  isError: added.isError,
  structuredContent: added.structuredContent,
  text: added.content.map((part) => part.text),
}));
await client.close();
