// Drives the official MCP TypeScript client from a test: JSON commands on stdin, one per line, and
// JSON answers on stdout, one per line, tagged with the command's id. Commands:
//   {"id":1,"op":"connect","command":"java","args":[...],"env":{...},"stderr":"/path/gateway.log"}
//   {"id":2,"op":"listTools"}
//   {"id":3,"op":"call","name":"write_file","arguments":{...},"meta":{...},"cancelAfterProgress":0}
//   {"id":4,"op":"close"}
// A call answers {"id":3,"result":{...},"progress":n} or {"id":3,"error":"..."}, after an interim
// {"id":3,"progressEvent":n,"message":"..."} per progress notification; with
// cancelAfterProgress > 0 the client aborts the request after that many progress notifications,
// which sends notifications/cancelled to the server.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";

let client;
const answer = (message) => process.stdout.write(JSON.stringify(message) + "\n");

async function handle(command) {
  switch (command.op) {
    case "connect": {
      const transport = new StdioClientTransport({
        command: command.command,
        args: command.args,
        env: { ...process.env, ...(command.env ?? {}) },
        stderr: "pipe",
      });
      if (command.stderr) {
        transport.stderr?.pipe(createWriteStream(command.stderr, { flags: "a" }));
      }
      client = new Client({ name: "hitl-test-agent", version: "1.0.0" });
      await client.connect(transport);
      return { connected: client.getServerVersion() };
    }
    case "listTools":
      return { tools: (await client.listTools()).tools };
    case "call": {
      let progress = 0;
      const abort = new AbortController();
      const params = { name: command.name, arguments: command.arguments };
      if (command.meta) {
        params._meta = command.meta;
      }
      try {
        const result = await client.callTool(params, undefined, {
          signal: abort.signal,
          timeout: command.timeoutMs ?? 120000,
          resetTimeoutOnProgress: true,
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
    case "close":
      await client?.close();
      return { closed: true };
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
    .catch((error) => answer({ id: command.id, error: String(error?.stack ?? error) }));
});
lines.on("close", async () => {
  await client?.close();
  process.exit(0);
});
