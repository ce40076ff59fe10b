package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// jssdkDir holds the official JavaScript SDK, installed from its lockfile
// (make interop-deps), which client's interop test uses too.
const jssdkDir = "../../client/testdata/jssdk"

// TestEmulatorFromJavaScript runs testdata's emulator.mjs: a test written in
// JavaScript that starts `acsmute emulator` as a process, sets up a call
// through its admin API, drives Microsoft's official SDK
// (@azure/communication-call-automation, pinned by package-lock.json)
// through mute, get participant, list participants, hold, unhold and
// remove, makes participants join, unmute themselves and leave, injects
// faults (the SDK's retry with the same Repeatability-Request-ID executes
// once), points callbacks at its own receiver at run time, and reads
// requests, deliveries and state back.
//
// It needs Node.js 20 or later and the SDK (cd client/testdata/jssdk && npm
// ci). Without them it skips, unless ACSMUTE_INTEROP=1 (as CI sets it):
// then it fails.
func TestEmulatorFromJavaScript(t *testing.T) {
	unavailable := func(why string) {
		msg := why + "; to run this test, install Node.js 20 or later, then: cd client/testdata/jssdk && npm ci"
		if os.Getenv("ACSMUTE_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(jssdkDir, "node_modules", "@azure", "communication-call-automation")); err != nil {
		unavailable("the official JavaScript SDK is not installed in client/testdata/jssdk/node_modules")
	}
	bin, err := filepath.Abs(acsmuteBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "emulator.mjs", bin)
	cmd.Dir = jssdkDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("node emulator.mjs: %v\n%s", err, out.String())
	}
	t.Logf("node emulator.mjs:\n%s", out.String())
}
