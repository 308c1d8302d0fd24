// The official TypeScript MCP client, carrying a pre-minted bearer token: list the tools, call add(2, 3).
// Usage: node list_and_add.mjs <mcp-url>   (token in MCP_TOKEN). Prints one JSON line.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${process.env.MCP_TOKEN}` } },
});
const client = new Client({ name: "calculator-e2e-ts", version: "1.0.0" });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((tool) => tool.name);
const added = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
console.log(JSON.stringify({
  protocolVersion: transport.protocolVersion,
  tools,
  isError: added.isError,
  structuredContent: added.structuredContent,
  text: added.content.map((part) => part.text),
}));
await client.close();
