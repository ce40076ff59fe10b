package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain removes the program acsmuteBinary builds.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is the program, built once for the tests that run it as a process.
var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// acsmuteBinary builds the program once (skipping with -short) and returns
// its path.
func acsmuteBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the program")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "acsmute-test-bin")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "acsmute")
		if out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatalf("building acsmute: %v", built.err)
	}
	return built.path
}

// emulatorLineNames are the lines acsmute emulator prints when ready, in
// order.
var emulatorLineNames = []string{"connection-string", "endpoint", "resource-id", "callback-issuer", "callback-keys-url", "admin-url", "admin-token"}

// readEmulatorLines reads the ready lines from an emulator's stdout and
// returns them by name, failing the test unless they are exactly those
// names, in order.
func readEmulatorLines(t *testing.T, lines *bufio.Scanner) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, want := range emulatorLineNames {
		if !lines.Scan() {
			t.Fatalf("stdout ended before %s= (%v)", want, lines.Err())
		}
		name, value, ok := strings.Cut(lines.Text(), "=")
		if !ok || name != want || value == "" {
			t.Fatalf("line %q, want %s=VALUE", lines.Text(), want)
		}
		out[name] = value
	}
	return out
}

// startEmulator runs acsmute emulator in-process with args and returns its
// ready lines, its stderr and a function that stops it and returns its
// exit code.
func startEmulator(t *testing.T, args ...string) (map[string]string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"emulator"}, args...), env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "admin-token=") && time.Now().Before(deadline) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("the emulator exited %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	vals := readEmulatorLines(t, bufio.NewScanner(strings.NewReader(out.String())))
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return vals, &errOut, stop
}

// --state must be a regular file (a FIFO would block start-up beyond the
// signals' reach), and --call takes only IDs the admin API can name.
func TestEmulatorStateMustBeAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	done := make(chan result, 1)
	go func() { done <- runCmd(t, nil, "emulator", "--state", fifo) }()
	select {
	case r := <-done:
		if r.code != exitUsage || !strings.Contains(r.stderr, "not a regular file") {
			t.Errorf("exit %d, %q", r.code, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--state on a FIFO blocks")
	}
	for _, call := range []string{"c 1=8:acs:r_a", "..=8:acs:r_a"} {
		if r := runCmd(t, nil, "emulator", "--call", call); r.code != exitUsage {
			t.Errorf("--call %q: exit %d %q", call, r.code, r.stderr)
		}
	}
}
