// emulator.mjs is a test written in JavaScript, as a user of the official
// SDK would write one, against `acsmute emulator` run as a process: it sets
// up a call through the emulator's admin API, drives Microsoft's
// @azure/communication-call-automation (pinned in package.json) through
// mute, get participant, list participants, hold, unhold and remove, makes
// participants join, unmute themselves and leave, injects faults (the SDK's
// retry with the same Repeatability-Request-ID executes once), points
// callbacks at a receiver of its own at run time, and reads requests,
// deliveries and state back. cmd/acsmute/interop_test.go runs it.
//
// Usage: node emulator.mjs PATH-TO-ACSMUTE
//
// It exits 0 when every check passed, and otherwise prints the first
// failure to standard error and exits 1.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { CallAutomationClient } from "@azure/communication-call-automation";

const alice = "8:acs:r_alice";
const bob = "8:acs:r_bob";
const carol = "8:acs:r_carol";
const phone = "4:+15551234567";
const callId = "call-js";

function check(ok, what, got) {
  if (!ok) throw new Error(`${what}${got === undefined ? "" : `: got ${JSON.stringify(got)}`}`);
  console.log(`ok: ${what}`);
}

// startEmulator runs acsmute emulator and resolves with its ready lines
// (name=value), read as any script would read them.
function startEmulator(bin) {
  const child = spawn(bin, ["emulator", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const env = {};
    child.on("exit", (code) => reject(new Error(`acsmute emulator exited ${code}: ${stderr}`)));
    lines.on("line", (line) => {
      const i = line.indexOf("=");
      env[line.slice(0, i)] = line.slice(i + 1);
      if (line.startsWith("admin-token=")) resolve({ child, env });
    });
  });
}

async function main() {
  const { child, env } = await startEmulator(process.argv[2]);
  try {
    await run(env);
  } finally {
    child.kill("SIGTERM");
  }
}

async function run(env) {
  for (const name of ["connection-string", "endpoint", "resource-id", "callback-issuer", "callback-keys-url", "admin-url", "admin-token"]) {
    check(env[name], `the emulator prints ${name}=`);
  }
  // The admin API: JSON in and out, behind the admin token.
  async function admin(method, path, body, token = env["admin-token"]) {
    const res = await fetch(env["admin-url"] + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async function participant(rawId) {
    const { body } = await admin("GET", `calls/${callId}`);
    return body.participants.find((p) => p.rawId === rawId);
  }

  let r = await admin("PUT", `calls/${callId}`, { participants: [alice, bob, phone] });
  check(r.status === 201 && r.body.participants.length === 3, "PUT /admin/v1/calls/{id} creates the call", r);
  r = await admin("PUT", `calls/${callId}`, { participants: [alice, "8:asc:typo"] }, "not-the-admin-token");
  check(r.status === 401, "a wrong admin token is refused", r.status);
  r = await admin("PUT", `calls/${callId}`, { participants: [alice, "8:asc:typo"] });
  check(r.status === 400 && r.body.error.field === "participants[1]", "a bad raw ID is refused, naming the field", r.body);
  check((await admin("GET", `calls/${callId}`)).body.participants.length === 3, "refused requests changed nothing");

  const sdk = new CallAutomationClient(env["connection-string"], {
    allowInsecureConnection: true, // the emulator speaks http on loopback
    retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 200 },
  });
  const call = sdk.getCallConnection(callId);

  await call.muteParticipant({ communicationUserId: alice });
  check((await participant(alice)).isMuted === true, "the SDK's mute: the admin API reads alice muted");
  const got = await call.getParticipant({ communicationUserId: alice });
  check(got.isMuted === true && got.identifier.communicationUserId === alice, "the SDK's getParticipant reads alice muted", got);
  const listed = await call.listParticipants();
  check(listed.values.length === 3, "the SDK's listParticipants lists 3", listed.values.length);

  // A dropped answer: the SDK retries with the same Repeatability-Request-ID,
  // and the emulator executes the mute once.
  r = await admin("POST", "faults", { drop: "after" });
  check(r.status === 201, "POST /admin/v1/faults queues a dropped answer", r);
  await call.muteParticipant({ communicationUserId: bob });
  const reqs = (await admin("GET", "requests")).body.requests.filter((q) => q.method === "POST" && q.body.includes(bob));
  check(reqs.length === 2, "the SDK sent bob's mute twice", reqs.length);
  const ids = reqs.map((q) => q.headers["Repeatability-Request-Id"][0]);
  check(ids[0] === ids[1], "with the same Repeatability-Request-ID", ids);
  check(reqs[0].dropped && reqs[0].executed && reqs[1].replayed && !reqs[1].executed, "executed once, then replayed", reqs.map((q) => [q.dropped, q.executed, q.replayed]));
  check(reqs.every((q) => q.headers.Authorization[0].endsWith("REDACTED")), "the request log redacts the credential");
  check((await participant(bob)).isMuted === true, "bob is muted");

  r = await admin("POST", "faults", { count: 2, status: 503, errorCode: "ServiceBusy", retryAfterMs: 10 });
  check(r.status === 201 && r.body.queued === 2, "two 503s queued", r.body);
  await call.getCallMedia().hold({ phoneNumber: "+15551234567" });
  check((await participant(phone)).isOnHold === true, "the SDK's hold, through two 503s: the phone is on hold");
  await call.getCallMedia().unhold({ phoneNumber: "+15551234567" });
  check((await participant(phone)).isOnHold === false, "the SDK's unhold: the phone is off hold");

  // Callbacks pointed at a receiver started after the emulator.
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const receiverUrl = `http://127.0.0.1:${receiver.address().port}/callbacks`;
  try {
    r = await admin("PUT", "callback", { url: receiverUrl });
    check(r.status === 200 && r.body.url === receiverUrl, "PUT /admin/v1/callback points callbacks at the receiver", r.body);

    r = await admin("POST", `calls/${callId}/participants`, { rawId: carol });
    check(r.status === 201, "carol joins", r);
    r = await admin("PATCH", `calls/${callId}/participants/${encodeURIComponent(alice)}`, { isMuted: false });
    check(r.status === 200 && r.body.isMuted === false, "alice unmutes herself", r.body);
    const removed = await call.removeParticipant({ communicationUserId: bob });
    check(typeof removed.operationContext === "string", "the SDK's remove is accepted", removed);
    r = await admin("DELETE", `calls/${callId}/participants/${encodeURIComponent(carol)}`);
    check(r.status === 204, "carol leaves", r.status);

    // Four events: carol joined, alice unmuted, bob removed (an update and
    // RemoveParticipantSucceeded), carol left.
    let deliveries;
    for (let i = 0; i < 200; i++) {
      deliveries = (await admin("GET", "deliveries")).body.deliveries;
      if (deliveries.length >= 5 && deliveries.every((d) => d.delivered)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const types = deliveries.map((d) => d.type.replace("Microsoft.Communication.", ""));
    check(deliveries.length === 5 && deliveries.every((d) => d.delivered), "GET /admin/v1/deliveries: five delivered", types);
    check(types.includes("RemoveParticipantSucceeded"), "the remove's outcome event was posted", types);
    const updates = received.map((x) => x.body[0]).filter((e) => e.type === "Microsoft.Communication.ParticipantsUpdated");
    check(updates.map((e) => e.data.sequenceNumber).every((n, i, all) => i === 0 || n > all[i - 1]), "sequence numbers increase", updates.map((e) => e.data.sequenceNumber));
    const last = updates[updates.length - 1].data;
    check(last.participants.map((p) => p.identifier.rawId).sort().join() === [alice, phone].sort().join(), "the last update lists alice and the phone", last.participants);
    const claims = JSON.parse(Buffer.from(received[0].auth.replace(/^Bearer /, "").split(".")[1], "base64url").toString());
    check(claims.aud === env["resource-id"] && claims.iss === env["callback-issuer"], "callbacks carry a token for the resource, from the emulator", claims);
  } finally {
    receiver.close();
  }

  const state = (await admin("GET", `calls/${callId}`)).body;
  check(state.participants.length === 2 && state.sequenceNumber >= 4, "GET /admin/v1/calls/{id} reads the state back", state);
  r = await admin("DELETE", `calls/${callId}`);
  check(r.status === 204, "DELETE /admin/v1/calls/{id} ends the call", r.status);
  let threw;
  try {
    await call.getParticipant({ communicationUserId: alice });
  } catch (err) {
    threw = err;
  }
  check(threw?.statusCode === 404, "the SDK reads 404 for the ended call", threw?.statusCode);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  },
);
