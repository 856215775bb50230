// Drives the official MCP TypeScript client over streamable HTTP from a test: JSON commands on stdin,
// one per line, and JSON answers on stdout, one per line, tagged with the command's id. Each command
// may name a "client" (default "main"), so one driver holds several agents' connections. Commands:
//   {"id":1,"op":"connect","client":"a","url":"http://127.0.0.1:8790/mcp","token":"..."}
//   {"id":2,"op":"listTools","client":"a"}
//   {"id":3,"op":"call","client":"a","name":"write_file","arguments":{...},"meta":{...},
//    "timeoutMs":10000,"cancelAfterProgress":0,"reportResumptionTokens":false}
//   {"id":4,"op":"close","client":"a"}
//   {"id":5,"op":"drop","client":"a"}
//   {"id":6,"op":"resume","client":"a2","url":"...","token":"...","sessionId":"...","resumptionToken":"...",
//    "name":"write_file","arguments":{...},"timeoutMs":120000}
// A call answers {"id":3,"result":{...},"progress":n} or {"id":3,"error":"..."}, after an interim
// {"id":3,"progressEvent":n,"message":"..."} per progress notification and, with
// "reportResumptionTokens", an interim {"id":3,"resumptionToken":"..."} per SSE event id the server
// gave (what a client keeps to resume the call's stream). Calls reset their timeout on progress
// (resetTimeoutOnProgress), so a call may wait far longer than timeoutMs for a reviewer.
// "drop" loses the connection as a crashed client or a broken network would: the transport is aborted,
// with no DELETE, so the session stays on the server. "resume" is another client process picking the
// call up: a new transport on the same session (no initialize), and the SDK's resumption token, so the
// call's result comes from the server's replay of that stream (GET with Last-Event-ID); it answers
// {"id":6,"result":{...}} or {"id":6,"error":"...","code":404}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createInterface } from "node:readline";

const clients = new Map();
const answer = (message) => process.stdout.write(JSON.stringify(message) + "\n");

async function handle(command) {
  const name = command.client ?? "main";
  switch (command.op) {
    case "connect": {
      const headers = command.token === undefined ? {} : { Authorization: `Bearer ${command.token}` };
      const transport = new StreamableHTTPClientTransport(new URL(command.url), { requestInit: { headers } });
      const client = new Client({ name: "hitl-test-agent-" + name, version: "1.0.0" });
      await client.connect(transport);
      clients.set(name, { client, transport });
      return { connected: client.getServerVersion(), sessionId: transport.sessionId };
    }
    case "listTools":
      return { tools: (await clients.get(name).client.listTools()).tools };
    case "call": {
      let progress = 0;
      const abort = new AbortController();
      const params = { name: command.name, arguments: command.arguments };
      if (command.meta) {
        params._meta = command.meta;
      }
      try {
        const result = await clients.get(name).client.callTool(params, undefined, {
          signal: abort.signal,
          timeout: command.timeoutMs ?? 120000,
          resetTimeoutOnProgress: true,
          onresumptiontoken: command.reportResumptionTokens
            ? (token) => answer({ id: command.id, resumptionToken: token })
            : undefined,
          onprogress: (notification) => {
            progress++;
            answer({ id: command.id, progressEvent: progress, message: notification.message ?? "" });
            if (command.cancelAfterProgress && progress >= command.cancelAfterProgress) {
              abort.abort("the test cancels the call");
            }
          },
        });
        return { result, progress };
      } catch (error) {
        return { error: String(error?.message ?? error), progress, cancelled: abort.signal.aborted };
      }
    }
    case "drop": {
      const entry = clients.get(name);
      clients.delete(name);
      const sessionId = entry?.transport.sessionId;
      await entry?.transport.close();
      return { dropped: true, sessionId };
    }
    case "resume": {
      const headers = command.token === undefined ? {} : { Authorization: `Bearer ${command.token}` };
      const transport = new StreamableHTTPClientTransport(new URL(command.url), {
        requestInit: { headers },
        sessionId: command.sessionId,
      });
      const client = new Client({ name: "hitl-test-agent-" + name, version: "1.0.0" });
      // The server refusing the resumption (an HTTP status) reaches the client as an error, not as a reply.
      // The call's progress notifications on the resumed stream carry the first call's progress token,
      // which this client does not know: the SDK reports each as an error; they are answered as
      // {"id":6,"progressEvent":n,"resumed":true}.
      let progress = 0;
      const refused = new Promise((_, reject) => {
        client.onerror = (error) => {
          if (error?.code !== undefined) {
            reject(error);
          } else if (String(error?.message).includes("progress notification")) {
            answer({ id: command.id, progressEvent: ++progress, resumed: true });
          }
        };
      });
      await client.connect(transport);
      clients.set(name, { client, transport });
      try {
        const result = await Promise.race([
          client.callTool({ name: command.name, arguments: command.arguments }, undefined, {
            timeout: command.timeoutMs ?? 120000,
            resumptionToken: command.resumptionToken,
          }),
          refused,
        ]);
        return { result };
      } catch (error) {
        return { error: String(error?.message ?? error), code: error?.code };
      }
    }
    case "close": {
      const entry = clients.get(name);
      clients.delete(name);
      await entry?.transport.terminateSession().catch(() => {});
      await entry?.client.close();
      return { closed: true };
    }
    default:
      throw new Error("unknown op " + command.op);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  handle(command)
    .then((reply) => answer({ id: command.id, ...reply }))
    .catch((error) => answer({ id: command.id, error: String(error?.stack ?? error), code: error?.code }));
});
lines.on("close", async () => {
  for (const { client } of clients.values()) {
    await client.close().catch(() => {});
  }
  process.exit(0);
});
