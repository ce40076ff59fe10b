// send.mjs sends Call Automation requests through Microsoft's official
// JavaScript SDK, @azure/communication-call-automation (pinned in
// package.json), so that client/interop_test.go can compare them with the
// requests acsmute sends for the same input.
//
// Usage: node send.mjs [plan.json]   (without an argument, the plan is read
// from standard input). The plan is JSON:
//
//   {
//     "connectionString": "endpoint=http://127.0.0.1:1234/;accesskey=...",
//     "requests": [
//       {"apiVersion": "2025-06-15", "op": "hold", "callId": "call-1",
//        "participant": "8:acs:r_u", "options": {"operationContext": "h"}}
//     ]
//   }
//
// op is mute, hold, unhold or remove. participant is a raw ID (turned into an
// identifier by the SDK's createIdentifierFromRawId) or an identifier object
// as the SDK takes it ({communicationUserId}, {phoneNumber}, ...). options is
// passed to the SDK method as it is. The requests are sent one after another,
// in order; the script exits 0 when all succeeded, and otherwise prints the
// first error to standard error and exits 1.

import { readFileSync } from "node:fs";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { createIdentifierFromRawId } from "@azure/communication-common";

// readPlan reads the file named, or standard input (asynchronously:
// readFileSync(0) fails with EAGAIN when standard input is a pipe).
async function readPlan(path) {
  if (path) return readFileSync(path, "utf8");
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  const plan = JSON.parse(await readPlan(process.argv[2]));
  // The SDK refuses plain http unless told otherwise; the test's recording
  // server is plain http on the loopback interface.
  const allowInsecureConnection = /(^|;)\s*endpoint=http:\/\//i.test(plan.connectionString);
  // One SDK client per API version: the version is a client option.
  const clients = new Map();
  for (const [i, r] of plan.requests.entries()) {
    if (!clients.has(r.apiVersion)) {
      const options = { apiVersion: r.apiVersion, allowInsecureConnection };
      clients.set(r.apiVersion, new CallAutomationClient(plan.connectionString, options));
    }
    const call = clients.get(r.apiVersion).getCallConnection(r.callId);
    const who = typeof r.participant === "string" ? createIdentifierFromRawId(r.participant) : r.participant;
    const options = r.options ?? {};
    try {
      switch (r.op) {
        case "mute":
          await call.muteParticipant(who, options);
          break;
        case "remove":
          await call.removeParticipant(who, options);
          break;
        case "hold":
          await call.getCallMedia().hold(who, options);
          break;
        case "unhold":
          await call.getCallMedia().unhold(who, options);
          break;
        default:
          throw new Error(`unknown op ${JSON.stringify(r.op)}`);
      }
    } catch (err) {
      throw new Error(`request ${i} (${r.apiVersion} ${r.op} ${JSON.stringify(r.participant)}): ${err?.message ?? err}`, { cause: err });
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  },
);
